# Issue 5, `traceshim view --html`: one self-contained page, checked in a
# real browser (Debian chromium, headless, through chromedriver): every
# span of the files is drawn (a bar with a size, in its trace's lane, at
# the place and width its start and duration give), a span's attributes
# are hidden until it is clicked and shown after, the page loads nothing
# from anywhere and runs no script, and hostile span text (markup, script,
# attribute-breaking quotes) is shown as text, never executed.  Pages come
# from the statuses scenario's real spans and from crafted files (several
# traces, an orphan, an error, hostile names and attributes).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || fail "chromium and chromium-driver are needed (scripts/install-deps)"
export TZ=UTC
GEN="import sys; sys.path.insert(0, '$ROOT/tests/integration'); from otlp_gen import *"

# Real spans: the statuses services under the shim, 3 requests.
PB=$(free_port)
PP=$(free_port)
BACKEND_PORT=$PB start_traced backend "$T/b.log" "$APPS/statuses/backend"
PROXY_PORT=$PP BACKEND_PORT=$PB start_traced proxy "$T/p.log" "$APPS/statuses/proxy"
for i in 1 2 3; do
	SVC=curl traced curl -sS -o /dev/null "http://127.0.0.1:$PP/statuses?n=$i"
done
wait_spans 12
stop_all
"$TRACESHIM" view --html "$T/real.html" "$T"/spans-*.jsonl || fail "view --html"

# Crafted spans: hostile text everywhere it can go.
/usr/bin/python3 - "$T/crafted.jsonl" <<PY
$GEN
evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
q = '"><script>window.__pwned=3</script><a href="https://example.com/x">'
t1, t2 = tid(1), tid(2)
with open(sys.argv[1], "w") as f:
    f.write(line("web" + evil, [
        span(t1, sid(1), None, "GET /" + evil, 0, 100, attrs={"http.response.status_code": 200, "url.query": q, "list": ["a<b", 2]}),
        span(t1, sid(2), sid(1), "child " + q, 20, 70, kind=3, status=2, attrs={"http.response.status_code": 503, q: evil},
             events=[{"timeUnixNano": str(EPOCH_NS + 30000000), "name": "ev" + evil, "attributes": []}]),
        span(t1, sid(3), sid(2), "leaf", 40, 41),
    ]) + "\n")
    f.write(line("other", [span(t2, sid(7), sid(99), "orphan & co", 0, 10, status=0)]) + "\n")
PY
"$TRACESHIM" view --html "$T/crafted.html" "$T/crafted.jsonl" || fail "view --html (crafted)"
grep -qiE '<(script|img|iframe|object|embed|link)[ >]' "$T/crafted.html" "$T/real.html" && fail "markup tags in the page"
grep -qiE '(src|href)="(https?:)?//' "$T/crafted.html" "$T/real.html" && fail "an external reference in the page"

/usr/bin/python3 - "$T" <<PY
$SPANLIB
sys.path.insert(0, "$ROOT/tests/integration")
from webdriver import Browser

T = sys.argv[1]
DRAWN = """
return Array.from(document.querySelectorAll('details.span')).map(d => {
  const bar = d.querySelector('.bar'), lane = d.querySelector('.lane');
  const b = bar.getBoundingClientRect(), l = lane.getBoundingClientRect();
  const cs = getComputedStyle(bar);
  return {id: d.dataset.spanId, trace: d.closest('section').dataset.traceId,
          name: d.querySelector('.name').textContent, svc: d.querySelector('.svc').textContent,
          x: b.x - l.x, w: b.width, h: b.height, lw: l.width, ly: l.y, by: b.y, lh: l.height,
          visible: cs.visibility === 'visible' && cs.display !== 'none' && b.width > 0 && b.height > 0};
});"""

def check_page(b, url, ss):
    b.get(url)
    drawn = b.run(DRAWN)
    assert b.run("return window.__pwned === undefined"), "injected script ran"
    assert b.run("return document.querySelectorAll('script,img,iframe,object,embed,link,form,input').length") == 0
    ext = b.run("return Array.from(document.querySelectorAll('[src],[href]')).map(e => e.getAttribute('src') || e.getAttribute('href')).filter(u => !u.startsWith('#'))")
    assert ext == [], ext
    want = {(s["trace"], s["span"]): s for s in ss}
    got = {(d["trace"], d["id"]): d for d in drawn}
    assert set(got) == set(want), (sorted(set(want) - set(got)), sorted(set(got) - set(want)))
    assert len(drawn) == len(ss), "a span drawn twice"
    for key, d in got.items():
        s = want[key]
        tr = [x for x in ss if x["trace"] == s["trace"]]
        t0, t1 = min(x["start"] for x in tr), max(x["end"] for x in tr)
        assert d["visible"] and d["by"] >= d["ly"] and d["by"] + d["h"] <= d["ly"] + d["lh"] + 0.5, d
        ex = (s["start"] - t0) / (t1 - t0) * d["lw"]
        ew = max((s["end"] - s["start"]) / (t1 - t0) * d["lw"], 2)
        assert abs(d["x"] - ex) < 1.5 and abs(d["w"] - ew) < 1.5, (d, ex, ew)
        assert d["name"] == s["name"] and d["svc"] == s["service"], (d["name"], s["name"])
    return drawn

with Browser(T) as b:
    ss = spans(T + "/spans-*.jsonl")
    drawn = check_page(b, "file://" + T + "/real.html", ss)
    print("  real spans: %d of %d drawn, each at its start with its width, in %d traces"
          % (len(drawn), len(ss), len({s["trace"] for s in ss})))
    # Click: attributes hidden before, shown after.
    c2 = one(ss, service="curl", attr_url__query="n=2")
    target = one([s for s in ss if s["trace"] == c2["trace"]], service="backend")
    sel = 'details[data-span-id="%s"]' % target["span"]
    shown = ("const t = document.querySelector(arguments[0] + ' table.attrs');"
             "return t.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})"
             " && t.getBoundingClientRect().height > 0")
    assert not b.run(shown, sel), "attributes visible before the click"
    b.click(b.find(sel + " > summary"))
    assert b.run("return document.querySelector(arguments[0]).open", sel)
    assert b.run(shown, sel), "attributes not visible after the click"
    rows = b.run("return Array.from(document.querySelectorAll(arguments[0] + ' table.attrs tr')).map(r => [r.cells[0].textContent, r.cells[1].textContent])", sel)
    rows = dict(rows)
    assert rows["url.path"] == "/status" and rows["http.response.status_code"] == "200", rows
    assert rows["network.peer.address"] == "127.0.0.1", rows
    fields = dict(b.run("return Array.from(document.querySelectorAll(arguments[0] + ' table.fields tr')).map(r => [r.cells[0].textContent, r.cells[1].textContent])", sel))
    assert fields["span id"] == target["span"] and fields["parent"] == target["parent"] and fields["trace id"] == target["trace"], fields
    b.screenshot(T + "/real.png")
    print("  click on a span: its attributes, ids and parent appear (hidden before)")

    cs = spans(T + "/crafted.jsonl")
    check_page(b, "file://" + T + "/crafted.html", cs)
    sel = 'details[data-span-id="%s"]' % cs[1]["span"]
    b.click(b.find(sel + " > summary"))
    rows = b.run("return Array.from(document.querySelectorAll(arguments[0] + ' table.attrs tr')).map(r => [r.cells[0].textContent, r.cells[1].textContent])", sel)
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    q = '"><script>window.__pwned=3</script><a href="https://example.com/x">'
    assert [q, evil] in rows, rows
    assert b.run("return document.querySelector(arguments[0]).classList.contains('err')", sel)
    assert "ev" + evil in b.run("return document.querySelector(arguments[0] + ' .info').textContent", sel)
    assert b.run("return window.__pwned === undefined")
    notes = b.run("return Array.from(document.querySelectorAll('.note')).map(n => n.textContent)")
    assert notes == ["parent not in these files"], notes
    print("  hostile names, attributes and events shown as text, no script ran, no external load; orphan noted")
PY
