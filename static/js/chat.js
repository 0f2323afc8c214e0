/* The chat page: ask without reloading, watch the answer arrive (Server-Sent Events), draw charts
   with the vendored Vega-Lite (static/js/charts.js). Text from the server is always set with textContent, never as HTML. */
(function () {
  "use strict";

  var conversation = document.getElementById("conversation");
  var form = document.getElementById("ask-form");
  if (!conversation) return;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs.text;
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function number(value) {
    return Number(value).toLocaleString("en", { maximumFractionDigits: 2 });
  }

  function metricValue(metric) {
    var suffix = metric.unit === "percent" ? "%" : metric.unit === "seconds" ? " s" : "";
    return number(metric.value) + suffix;
  }

  function metricDelta(metric) {
    if (metric.delta === null || metric.delta === undefined) return null;
    var d = Number(metric.delta);
    var cls = d > 0 ? "delta up" : d < 0 ? "delta down" : "delta";
    var text = (d > 0 ? "▲ +" : d < 0 ? "▼ " : "") + d.toFixed(1) + "%";
    return el("span", { "class": cls, text: text });
  }

  /* --- charts ------------------------------------------------------------------------------- */

  function vegaLiteSpec(chart, width) {
    var values = [];
    chart.series.forEach(function (series) {
      series.points.forEach(function (point) { values.push({ x: point.x, y: point.y, series: series.name }); });
    });
    var base = {
      width: "container", autosize: { type: "fit-x", contains: "padding" }, height: 240,
      data: { values: values }, config: { view: { stroke: null } }
    };
    var color = { field: "series", type: "nominal", title: null };
    if (chart.kind === "pie") {
      base.mark = { type: "arc", tooltip: true };
      base.encoding = { theta: { field: "y", type: "quantitative" }, color: { field: "x", type: "nominal", title: chart.x || null } };
      base.width = Math.min(width, 320);
      delete base.autosize;
    } else if (chart.kind === "line") {
      base.mark = { type: "line", point: true, tooltip: true };
      base.encoding = {
        x: { field: "x", type: chart.x === "date" ? "temporal" : "ordinal", title: null },
        y: { field: "y", type: "quantitative", title: null },
        color: color
      };
    } else {
      base.mark = { type: "bar", tooltip: true };
      base.encoding = {
        x: { field: "x", type: "nominal", sort: null, title: null, axis: { labelAngle: -30 } },
        y: { field: "y", type: "quantitative", title: null },
        color: color
      };
      if (chart.series.length > 1) base.encoding.xOffset = { field: "series" };
    }
    return base;
  }

  function tableFor(chart) {
    var head = el("tr", {}, chart.columns.map(function (c) { return el("th", { text: c }); }));
    var rows = chart.rows.map(function (row) {
      return el("tr", {}, row.map(function (cell) {
        return el("td", { text: cell === null ? "—" : typeof cell === "number" ? number(cell) : String(cell) });
      }));
    });
    return el("div", { "class": "table-wrap" }, [el("table", { "class": "chart-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)])]);
  }

  function drawChart(figure, chart) {
    if (figure.dataset.drawn) return;
    figure.dataset.drawn = "1";
    if (chart.kind === "table") {
      figure.appendChild(tableFor(chart));
      return;
    }
    var canvas = el("div", { "class": "chart-canvas" });
    figure.appendChild(canvas);
    var width = Math.max(280, (figure.clientWidth || 600) - 40);
    Charts.vegaLite(canvas, vegaLiteSpec(chart, width)).catch(function (error) {
      canvas.textContent = "The chart could not be drawn: " + error.message;
    });
  }

  function drawCharts(article, content) {
    var figures = article.querySelectorAll("figure.chart");
    (content.charts || []).forEach(function (chart, index) {
      if (figures[index]) drawChart(figures[index], chart);
    });
  }

  /* --- messages ----------------------------------------------------------------------------- */

  function answerBody(content) {
    var children = [el("p", { "class": "answer", text: content.answer })];
    if ((content.metrics || []).length) {
      children.push(el("ul", { "class": "metrics", "data-testid": "metrics" }, content.metrics.map(function (metric) {
        return el("li", {}, [
          el("span", { "class": "metric-name", text: metric.name }),
          el("strong", { "class": "metric-value", text: metricValue(metric) }),
          metricDelta(metric)
        ]);
      })));
    }
    children.push(el("div", { "class": "charts" }, (content.charts || []).map(function (chart, index) {
      return el("figure", { "class": "chart", "data-testid": "chart", "data-chart-index": String(index) }, [el("figcaption", { text: chart.title })]);
    })));
    if ((content.citations || []).length) {
      children.push(el("ul", { "class": "citations" }, content.citations.map(function (citation) {
        return el("li", {}, [document.createTextNode(citation.title + " — "), el("code", { text: citation.source })]);
      })));
    }
    return el("div", { "class": "answer-body" }, children);
  }

  function replaceBody(article, body) {
    Array.prototype.slice.call(article.children).forEach(function (child) {
      if (child.tagName !== "HEADER") child.remove();
    });
    article.appendChild(body);
  }

  function showAnswer(article, content) {
    article.dataset.status = "complete";
    replaceBody(article, answerBody(content));
    drawCharts(article, content);
  }

  function showError(article, message) {
    article.dataset.status = "error";
    var retry = el("button", { type: "button", "class": "secondary outline", text: "Try again" });
    retry.addEventListener("click", function () {
      retry.disabled = true;
      post(article.dataset.retryUrl, new FormData()).then(function () {
        article.dataset.status = "pending";
        replaceBody(article, el("ol", { "class": "progress", "aria-live": "polite" }, [el("li", { text: "Working on it…" })]));
        follow(article);
      }).catch(function (error) { retry.disabled = false; alert(error.message); });
    });
    replaceBody(article, el("div", {}, [el("p", { "class": "chat-error", role: "alert", text: message }), retry]));
  }

  function progressList(article) {
    var list = article.querySelector("ol.progress");
    if (!list) {
      list = el("ol", { "class": "progress", "aria-live": "polite" });
      replaceBody(article, list);
    }
    return list;
  }

  function follow(article) {
    var source = new EventSource(article.dataset.streamUrl);
    var started = false;
    source.addEventListener("streaming", function (event) {
      var data = JSON.parse(event.data);
      var list = progressList(article);
      if (!started) { list.textContent = ""; started = true; }
      list.appendChild(el("li", { text: data.text }));
      article.dataset.status = "streaming";
    });
    source.addEventListener("complete", function (event) {
      source.close();
      showAnswer(article, JSON.parse(event.data).content);
    });
    source.addEventListener("error", function (event) {
      if (event.data) {  // the server's `error` event: the answer failed
        source.close();
        showError(article, JSON.parse(event.data).error);
      } else if (source.readyState === EventSource.CLOSED) {  // refused (e.g. signed out): no retry
        showError(article, "The connection to the server was lost. Reload the page.");
      }  // otherwise EventSource reconnects by itself and resumes after the last event it got
    });
  }

  function messageArticle(message) {
    var article = el("article", {
      "class": "chat-message " + message.role,
      "data-message-id": message.id,
      "data-status": message.status,
      "data-stream-url": message.stream_url,
      "data-retry-url": message.stream_url.replace(/stream\/$/, "retry/")
    }, [el("header", {}, [el("strong", { text: message.role === "user" ? "You" : "Assistant" })])]);
    if (message.role === "user") article.appendChild(el("p", { "class": "question", text: message.content.text }));
    else article.appendChild(el("ol", { "class": "progress", "aria-live": "polite" }, [el("li", { text: "Working on it…" })]));
    return article;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data.error && data.error.message) || "The request failed.");
        return data;
      });
    });
  }

  /* --- the page ----------------------------------------------------------------------------- */

  Array.prototype.forEach.call(conversation.querySelectorAll("article.chat-message.assistant"), function (article) {
    var status = article.dataset.status;
    if (status === "complete") {
      var script = document.getElementById(article.dataset.messageId);
      if (script) drawCharts(article, JSON.parse(script.textContent));
    } else if (status === "pending" || status === "streaming") {
      follow(article);
    }
  });

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var text = form.elements.text.value.trim();
      if (!text) return;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      post(form.action, new FormData(form)).then(function (data) {
        var empty = conversation.querySelector(".empty-chat");
        if (empty) empty.remove();
        conversation.appendChild(messageArticle(data.user_message));
        var answer = messageArticle(data.assistant_message);
        conversation.appendChild(answer);
        form.elements.text.value = "";
        var title = document.querySelector("[data-testid=chat-title]");
        if (title && data.title) title.textContent = data.title;
        follow(answer);
        answer.scrollIntoView({ block: "nearest" });
      }).catch(function (error) {
        alert(error.message);
      }).finally(function () {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
    });
  }
})();
