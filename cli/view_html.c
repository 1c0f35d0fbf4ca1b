/*
 * view_html.c - traces as one self-contained HTML page (see view_html.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../preload/common.h"
#include "layout.h"
#include "view_html.h"
#include "view_text.h"

static const char css[] =
	":root{color-scheme:light dark;--bg:#fff;--fg:#1d232b;--muted:#66707c;"
	"--line:#e3e6ea;--lane:#f3f5f7;--hover:#eef3fb;--err:#c62828}"
	"@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e4e7eb;"
	"--muted:#98a1ad;--line:#2c3138;--lane:#1d2126;--hover:#222a35;"
	"--err:#ef6c6c}}"
	"*{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif}"
	"header.page{padding:14px 20px;border-bottom:1px solid var(--line)}"
	"header.page h1{font-size:18px;margin:0 0 2px}"
	"header.page p{margin:0;color:var(--muted)}"
	"nav.toc{padding:8px 20px;border-bottom:1px solid var(--line)}"
	"nav.toc a{display:inline-block;margin:2px 12px 2px 0;color:inherit}"
	"section.trace{margin:18px 20px 28px}"
	"section.trace h2{font-size:15px;margin:0 0 6px;display:flex;"
	"flex-wrap:wrap;gap:4px 12px;align-items:baseline}"
	".meta,.tid{color:var(--muted);font-weight:normal;font-size:13px}"
	".tid{font-family:ui-monospace,monospace}"
	".grid{display:grid;grid-template-columns:minmax(220px,36%) 1fr;"
	"align-items:center}"
	".axis{border-bottom:1px solid var(--line);color:var(--muted);"
	"font-size:12px}"
	".axis .ticks{position:relative;height:18px}"
	".axis .ticks span{position:absolute;top:0;transform:translateX(-50%);"
	"white-space:nowrap}"
	".axis .ticks span.first{transform:none}"
	".axis .ticks span.last{transform:translateX(-100%)}"
	"details.span{border-bottom:1px solid var(--line)}"
	"details.span>summary{list-style:none;cursor:pointer;min-height:24px}"
	"details.span>summary::-webkit-details-marker{display:none}"
	"details.span>summary:hover,details.span[open]>summary"
	"{background:var(--hover)}"
	".label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;"
	"padding:2px 8px 2px 0}"
	".svc{display:inline-block;padding:0 6px;margin-right:6px;"
	"border-radius:3px;color:#fff;font-size:12px;font-weight:600}"
	".kind{color:var(--muted);font-size:12px;margin-left:6px}"
	".err .name{color:var(--err);font-weight:600}"
	".note{color:var(--err);font-size:12px;margin-left:6px}"
	".lane{position:relative;height:24px;background:var(--lane)}"
	".bar{position:absolute;top:5px;height:14px;min-width:2px;"
	"border-radius:2px}"
	".err .bar{outline:2px solid var(--err)}"
	".dur{position:absolute;top:4px;font-size:12px;color:var(--muted);"
	"white-space:nowrap}"
	".info{padding:8px 12px 12px;background:var(--hover);"
	"border-top:1px solid var(--line)}"
	".info table{border-collapse:collapse;margin:2px 0 8px}"
	".info th{text-align:left;font-weight:600;padding:1px 14px 1px 0;"
	"vertical-align:top;white-space:nowrap}"
	".info td{padding:1px 0;font-family:ui-monospace,monospace;"
	"word-break:break-all;white-space:pre-wrap}"
	".info h3{font-size:13px;margin:8px 0 2px;color:var(--muted)}"
	".info a{color:inherit}";

/* ---- escaping -------------------------------------------------------------- */

/* Bytes of the valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_seq(const unsigned char *p)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0x80 && cp < 0xa0))
		return 0;
	return n;
}

void ts_html_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", out); p++; continue;
		case '<': fputs("&lt;", out); p++; continue;
		case '>': fputs("&gt;", out); p++; continue;
		case '"': fputs("&quot;", out); p++; continue;
		case '\'': fputs("&#39;", out); p++; continue;
		}
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
			p++;
			continue;
		}
		if (!(n = utf8_seq(p))) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
}

/* ---- pieces ---------------------------------------------------------------- */

static unsigned hue_of(const char *svc)
{
	unsigned h = 2166136261u;

	for (; *svc; svc++)
		h = (h ^ (unsigned char)*svc) * 16777619u;
	return h % 360;
}

static void fmt_time(uint64_t ns, char *out, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char d[48];

	gmtime_r(&sec, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, size, "%s.%09" PRIu64 " UTC", d, ns % UINT64_C(1000000000));
}

static void dur(FILE *out, uint64_t ns)
{
	char d[32];

	ts_fmt_duration(ns, true, d, sizeof(d));
	ts_html_escape(out, d);
}

static void kv_rows(FILE *out, const struct ts_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fputs("<tr><th>", out);
		ts_html_escape(out, kv[i].key);
		fputs("</th><td>", out);
		ts_html_escape(out, kv[i].text);
		fputs("</td></tr>", out);
	}
}

static void row_info(FILE *out, const struct ts_trace_view *t,
		     const struct ts_span_view *sp)
{
	char when[96];
	size_t i;

	fputs("<div class=\"info\"><table class=\"fields\">", out);
	fputs("<tr><th>service</th><td>", out);
	ts_html_escape(out, sp->res->service);
	fputs("</td></tr><tr><th>name</th><td>", out);
	ts_html_escape(out, sp->name);
	fprintf(out, "</td></tr><tr><th>kind</th><td>%s</td></tr>"
		"<tr><th>status</th><td>%s", ts_kind_name(sp->kind),
		sp->status == 2 ? "ERROR" : sp->status == 1 ? "OK" : "unset");
	if (sp->status_msg) {
		fputs(": ", out);
		ts_html_escape(out, sp->status_msg);
	}
	fputs("</td></tr><tr><th>duration</th><td>", out);
	dur(out, sp->end - sp->start);
	fputs(" (starts at +", out);
	dur(out, sp->start - t->start);
	fmt_time(sp->start, when, sizeof(when));
	fprintf(out, ")</td></tr><tr><th>start</th><td>%s</td></tr>"
		"<tr><th>span id</th><td>%s</td></tr>", when, sp->id);
	if (sp->up)
		fprintf(out, "<tr><th>parent</th><td><a href=\"#s-%s-%s\">%s"
			"</a></td></tr>", t->id, sp->parent, sp->parent);
	else if (sp->parent[0])
		fprintf(out, "<tr><th>parent</th><td>%s (not in these files)"
			"</td></tr>", sp->parent);
	fprintf(out, "<tr><th>trace id</th><td>%s</td></tr>", t->id);
	if (sp->scope) {
		fputs("<tr><th>scope</th><td>", out);
		ts_html_escape(out, sp->scope);
		fputs("</td></tr>", out);
	}
	fputs("</table>", out);
	if (sp->nattrs) {
		fputs("<h3>attributes</h3><table class=\"attrs\">", out);
		kv_rows(out, sp->attrs, sp->nattrs);
		fputs("</table>", out);
	}
	for (i = 0; i < sp->nevents; i++) {
		fputs("<h3>event ", out);
		ts_html_escape(out, sp->events[i].name);
		fputs(" at +", out);
		dur(out, sp->events[i].time > t->start
				 ? sp->events[i].time - t->start : 0);
		fputs("</h3><table>", out);
		kv_rows(out, sp->events[i].attrs, sp->events[i].n);
		fputs("</table>", out);
	}
	if (sp->res->n) {
		fputs("<h3>resource</h3><table class=\"resource\">", out);
		kv_rows(out, sp->res->attrs, sp->res->n);
		fputs("</table>", out);
	}
	fputs("</div>", out);
}

static void span_row(FILE *out, const struct ts_trace_view *t,
		     const struct ts_span_view *sp)
{
	double total = t->end > t->start ? (double)(t->end - t->start) : 1.0;
	double left = (double)(sp->start - t->start) * 100.0 / total;
	double width = (double)(sp->end - sp->start) * 100.0 / total;
	unsigned hue = hue_of(sp->res->service);
	int depth = sp->depth > 30 ? 30 : sp->depth;
	const struct ts_kv *code;

	fprintf(out, "<details class=\"span%s\" id=\"s-%s-%s\" data-span-id=\"%s\""
		" data-parent-id=\"%s\"><summary class=\"grid\">"
		"<div class=\"label\" style=\"padding-left:%dpx\">"
		"<span class=\"svc\" style=\"background:hsl(%u,55%%,42%%)\">",
		sp->status == 2 ? " err" : "", t->id, sp->id, sp->id, sp->parent,
		4 + depth * 16, hue);
	ts_html_escape(out, sp->res->service);
	fputs("</span><span class=\"name\">", out);
	ts_html_escape(out, sp->name);
	fprintf(out, "</span><span class=\"kind\">%s", ts_kind_name(sp->kind));
	if ((code = ts_span_attr(sp, "http.response.status_code"))) {
		fputs(" &middot; ", out);
		ts_html_escape(out, code->text);
	}
	fputs("</span>", out);
	if (sp->orphan)
		fputs("<span class=\"note\">parent not in these files</span>", out);
	else if (sp->cycle)
		fputs("<span class=\"note\">parent links loop</span>", out);
	fprintf(out, "</div><div class=\"lane\"><div class=\"bar\" style=\""
		"left:%.3f%%;width:%.3f%%;background:hsl(%u,55%%,52%%)\"></div>"
		"<span class=\"dur\" style=\"", left, width, hue);
	if (left + width > 80 && left > 12)
		fprintf(out, "right:calc(%.3f%% + 6px)", 100.0 - left);
	else if (left + width > 80)
		fprintf(out, "right:calc(%.3f%% + 6px);color:#fff",
			100.0 - left - width);
	else
		fprintf(out, "left:calc(%.3f%% + 6px)", left + width);
	fputs("\">", out);
	dur(out, sp->end - sp->start);
	fputs("</span></div></summary>", out);
	row_info(out, t, sp);
	fputs("</details>\n", out);
}

static size_t services(const struct ts_trace_view *t)
{
	size_t i, k, n = 0;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < i; k++)
			if (!strcmp(t->spans[k]->res->service,
				    t->spans[i]->res->service))
				break;
		n += k == i;
	}
	return n;
}

static void trace_section(FILE *out, const struct ts_trace_view *t)
{
	uint64_t total = t->end - t->start;
	char when[96];
	size_t i;
	int k;

	fmt_time(t->start, when, sizeof(when));
	fprintf(out, "<section class=\"trace\" id=\"t-%s\" data-trace-id=\"%s\">"
		"<h2><span class=\"tname\">", t->id, t->id);
	ts_html_escape(out, t->rows[0]->name);
	fprintf(out, "</span><span class=\"meta\">%zu span%s &middot; %zu "
		"service%s &middot; ", t->n, t->n == 1 ? "" : "s", services(t),
		services(t) == 1 ? "" : "s");
	dur(out, total);
	fprintf(out, " &middot; %s</span><span class=\"tid\">%s</span></h2>",
		when, t->id);
	fputs("<div class=\"axis grid\"><div>service / span</div>"
	      "<div class=\"ticks\">", out);
	for (k = 0; k <= 4; k++) {
		fprintf(out, "<span class=\"%s\" style=\"left:%d%%\">",
			k == 0 ? "first" : k == 4 ? "last" : "", k * 25);
		if (k)
			dur(out, total / 4 * (uint64_t)k);
		else
			fputs("0", out);
		fputs("</span>", out);
	}
	fputs("</div></div>\n", out);
	for (i = 0; i < t->n; i++)
		span_row(out, t, t->rows[i]);
	fputs("</section>\n", out);
}

static bool wanted(const struct ts_trace_view *t, const char *only)
{
	return !only || !strncasecmp(t->id, only, strlen(only));
}

void ts_html_page(FILE *out, struct ts_store *s, struct ts_trace_view **v,
		  size_t n, const char *only)
{
	size_t i, nt = 0, ns = 0;

	for (i = 0; i < n; i++) {
		ts_trace_layout(s, v[i]);
		if (wanted(v[i], only))
			nt++, ns += v[i]->n;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\""
	      "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
	      "<meta name=\"viewport\" content=\"width=device-width,"
	      "initial-scale=1\">", out);
	fprintf(out, "<title>traceshim: %zu trace%s</title><style>%s</style>"
		"</head>\n<body><header class=\"page\"><h1>traceshim traces</h1>"
		"<p>%zu trace%s &middot; %zu span%s &middot; click a span for "
		"its attributes &middot; traceshim %s</p></header>\n",
		nt, nt == 1 ? "" : "s", css, nt, nt == 1 ? "" : "s", ns,
		ns == 1 ? "" : "s", TS_VERSION);
	if (nt > 1) {
		fputs("<nav class=\"toc\">", out);
		for (i = 0; i < n; i++) {
			if (!wanted(v[i], only))
				continue;
			fprintf(out, "<a href=\"#t-%s\">", v[i]->id);
			ts_html_escape(out, v[i]->rows[0]->name);
			fputs(" (", out);
			dur(out, v[i]->end - v[i]->start);
			fputs(")</a>", out);
		}
		fputs("</nav>\n", out);
	}
	fputs("<main>\n", out);
	for (i = 0; i < n; i++)
		if (wanted(v[i], only))
			trace_section(out, v[i]);
	fputs("</main></body></html>\n", out);
}

int ts_html_write(const char *path, struct ts_store *s,
		  struct ts_trace_view **v, size_t n, const char *only)
{
	char *tmp;
	size_t len;
	FILE *f;
	int err;

	if (!strcmp(path, "-")) {
		ts_html_page(stdout, s, v, n, only);
		return fflush(stdout) ? 1 : 0;
	}
	len = strlen(path) + 32;
	if (!(tmp = malloc(len)))
		return 1;
	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w"))) {
		fprintf(stderr, "traceshim: view: cannot write %s: %s\n", path,
			strerror(errno));
		free(tmp);
		return 1;
	}
	ts_html_page(f, s, v, n, only);
	err = ferror(f) ? errno : 0;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		fprintf(stderr, "traceshim: view: cannot write %s: %s\n", path,
			strerror(err));
		unlink(tmp);
		free(tmp);
		return 1;
	}
	free(tmp);
	return 0;
}
