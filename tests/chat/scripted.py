"""A responder whose steps a test sets (`ScriptedResponder.steps`): point `CHAT_RESPONDER` at it to
test the stream without Google."""

from chat.responders import Answer, Chunk, Responder, ResponderError

ANSWER = {"type": "ai", "answer": "Sessions are up.", "charts": [], "metrics": [{"name": "Sessions", "value": 3, "unit": "count", "delta": 50.0}], "citations": []}
DEFAULT_STEPS = [Chunk("one"), Chunk("two"), Chunk("three"), Answer(ANSWER)]


class ScriptedResponder(Responder):
    name = "scripted"
    steps = DEFAULT_STEPS  # Chunk, Answer, or an exception instance to raise at that point
    turns = []  # the turns it was given

    def respond(self, turn):
        type(self).turns.append(turn)
        for step in type(self).steps:
            if isinstance(step, BaseException):
                raise step
            yield step


__all__ = ["ScriptedResponder", "ResponderError", "ANSWER"]
