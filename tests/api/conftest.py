"""pytest 9.2 keeps a node's id in `Node._id` (a structured `NodeId`) and no longer has the `_nodeid`
attribute that schemathesis' lazy `from_fixture` schemas read and rename per operation (schemathesis
4.32.5). Until schemathesis follows, `_nodeid` is a view onto `_id`. Older pytest: left alone."""

try:
    from _pytest.nodeid import coerce_node_id
except ImportError:  # pytest < 9.2: `_nodeid` is still a plain attribute
    coerce_node_id = None

from _pytest import nodes

if coerce_node_id is not None and not hasattr(nodes.Node, "_nodeid"):

    def _set_nodeid(node, value):
        node._id = coerce_node_id(value)

    nodes.Node._nodeid = property(lambda node: node.nodeid, _set_nodeid)
