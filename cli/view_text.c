/*
 * view_text.c - text waterfall of a trace (see view_text.h).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "view_text.h"

#define C_RESET "\033[0m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"

static const char *const palette[] = { "\033[36m", "\033[35m", "\033[33m",
				       "\033[32m", "\033[34m", "\033[96m",
				       "\033[95m", "\033[93m" };

static const char *service_color(const char *svc)
{
	unsigned h = 5381;

	for (; *svc; svc++)
		h = h * 33 + (unsigned char)*svc;
	return palette[h % (sizeof(palette) / sizeof(palette[0]))];
}

void ts_fmt_duration(uint64_t ns, bool utf8, char *out, size_t size)
{
	if (ns < 1000)
		snprintf(out, size, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(out, size, "%" PRIu64 " %s", ns / 1000,
			 utf8 ? "\u00b5s" : "us");
	else if (ns < 10000000)
		snprintf(out, size, "%.2f ms", (double)ns / 1e6);
	else if (ns < 1000000000)
		snprintf(out, size, "%.1f ms", (double)ns / 1e6);
	else if (ns < 100000000000ull)
		snprintf(out, size, "%.2f s", (double)ns / 1e9);
	else
		snprintf(out, size, "%.0f s", (double)ns / 1e9);
}

/*
 * Bytes of the character at s (1 for an invalid byte); *ok when it may be
 * printed as it is: not a control character (C0, DEL, C1), not a bidi
 * override or line separator, valid UTF-8.
 */
static size_t char_at(const unsigned char *s, bool *ok)
{
	uint32_t cp;
	size_t n, i;

	*ok = false;
	if (s[0] < 0x80) {
		*ok = s[0] >= 0x20 && s[0] < 0x7f;
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 1; /* overlong or not a character: byte by byte */
	*ok = cp >= 0xa0 && cp != 0x2028 && cp != 0x2029 &&
	      !(cp >= 0x202a && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069) &&
	      !(cp >= 0x200b && cp <= 0x200f);
	return n;
}

int ts_text_clean(const char *s, int max_cols, bool utf8, char *out,
		  size_t size)
{
	const unsigned char *p = (const unsigned char *)s, *q;
	const char *ell = utf8 ? "\u2026" : "~";
	size_t o = 0, n, total = 0;
	int cols = 0;
	bool ok;

	/* Columns of the whole string first: cut only when it overflows. */
	for (q = p; *q; total++)
		q += char_at(q, &ok);
	for (; *p && o + 8 < size; cols++) {
		if ((int)total > max_cols && cols == max_cols - 1) {
			memcpy(out + o, ell, strlen(ell));
			o += strlen(ell);
			cols++;
			break;
		}
		n = char_at(p, &ok);
		if (ok && (utf8 || n == 1)) {
			memcpy(out + o, p, n);
			o += n;
		} else {
			out[o++] = '?';
		}
		p += n;
	}
	out[o] = '\0';
	return cols;
}

/* Print s padded (or cut) to exactly `cols` columns. */
static void cell(FILE *out, const char *s, int cols, bool utf8,
		 const char *color, bool use_color)
{
	char buf[1024];
	int used = ts_text_clean(s, cols, utf8, buf, sizeof(buf));

	if (use_color && color && buf[0])
		fprintf(out, "%s%s%s", color, buf, C_RESET);
	else
		fputs(buf, out);
	fprintf(out, "%*s", cols - used, "");
}

static int text_cols(const char *s, bool utf8)
{
	char buf[1024];

	return ts_text_clean(s, 1000, utf8, buf, sizeof(buf));
}

struct layout {
	int svc, name, bar;   /* column widths */
	uint64_t t0, total;   /* trace start and duration (>= 1) */
};

static void plan(const struct ts_trace_view *t, const struct ts_text_opts *o,
		 struct layout *l)
{
	int width = o->width < 60 ? 60 : o->width, fixed, c;
	size_t i;

	l->svc = 7;
	l->name = 4;
	for (i = 0; i < t->n; i++) {
		const struct ts_span_view *sp = t->rows[i];

		if ((c = text_cols(sp->res->service, o->utf8)) > l->svc)
			l->svc = c;
		c = text_cols(sp->prefix, o->utf8) + text_cols(sp->name, o->utf8) +
		    (sp->orphan || sp->cycle ? 2 : 0);
		if (c > l->name)
			l->name = c;
	}
	if (l->svc > 16)
		l->svc = 16;
	/* 2 indent, gaps, kind 8, status 9, duration 9, bar frame 2 */
	fixed = 2 + l->svc + 2 + 2 + 8 + 2 + 9 + 1 + 9 + 1 + 2;
	if (l->name > width - fixed - 24)
		l->name = width - fixed - 24 < 20 ? 20 : width - fixed - 24;
	l->bar = width - fixed - l->name;
	if (l->bar < 10)
		l->bar = 10;
	l->t0 = t->start;
	l->total = t->end > t->start ? t->end - t->start : 1;
}

static void title(FILE *out, const struct ts_trace_view *t,
		  const struct ts_text_opts *o, const char *note)
{
	const struct ts_span_view *root = t->rows[0];
	char dur[32], when[64], name[256];
	const char *svcs[8];
	size_t nsvc = 0, i, k;
	time_t sec = (time_t)(t->start / 1000000000ull);
	struct tm tm;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < nsvc; k++)
			if (!strcmp(svcs[k], t->spans[i]->res->service))
				break;
		if (k == nsvc && nsvc < 8)
			svcs[nsvc++] = t->spans[i]->res->service;
	}
	ts_fmt_duration(t->end - t->start, o->utf8, dur, sizeof(dur));
	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	ts_text_clean(root->name, 60, o->utf8, name, sizeof(name));
	fprintf(out, "%strace %s%s  %s  %zu span%s, %zu%s service%s  %s  %s.%03u%s%s%s\n",
		o->color ? C_BOLD : "", t->id, o->color ? C_RESET : "", name,
		t->n, t->n == 1 ? "" : "s", nsvc, nsvc == 8 ? "+" : "",
		nsvc == 1 ? "" : "s", dur, when,
		(unsigned)(t->start / 1000000ull % 1000), note ? "  (" : "",
		note ? note : "", note ? ")" : "");
}

static void header(FILE *out, const struct layout *l,
		   const struct ts_text_opts *o)
{
	char dur[32];
	int pad;

	ts_fmt_duration(l->total, o->utf8, dur, sizeof(dur));
	pad = l->bar - 1 - (int)strlen(dur) + (o->utf8 && strstr(dur, "\u00b5") ? 1 : 0);
	fprintf(out, "%s  %-*s  %-*s  %-8s  %-9s %9s %s0%*s%s%s%s\n",
		o->color ? C_DIM : "", l->svc, "SERVICE", l->name, "SPAN",
		"KIND", "STATUS", "DURATION", o->utf8 ? "\u2502" : "|",
		pad > 0 ? pad : 0, "", dur, o->utf8 ? "\u2502" : "|",
		o->color ? C_RESET : "");
}

static void bar(FILE *out, const struct ts_span_view *sp,
		const struct layout *l, const struct ts_text_opts *o,
		const char *color)
{
	uint64_t a = sp->start - l->t0, b = sp->end - l->t0;
	int from = (int)(a * (uint64_t)l->bar / l->total);
	int to = (int)((b * (uint64_t)l->bar + l->total - 1) / l->total);
	int i;

	if (from >= l->bar)
		from = l->bar - 1;
	if (to <= from)
		to = from + 1;
	if (to > l->bar)
		to = l->bar;
	fputs(o->utf8 ? "\u2502" : "|", out);
	fprintf(out, "%*s", from, "");
	if (o->color)
		fputs(color, out);
	for (i = from; i < to; i++)
		fputs(o->utf8 ? "\u2588" : "#", out);
	if (o->color)
		fputs(C_RESET, out);
	fprintf(out, "%*s%s", l->bar - to, "", o->utf8 ? "\u2502" : "|");
}

static void row(FILE *out, const struct ts_span_view *sp,
		const struct layout *l, const struct ts_text_opts *o)
{
	const char *color = service_color(sp->res->service);
	const struct ts_kv *code = ts_span_attr(sp, "http.response.status_code");
	char name[1200], st[32], dur[32];
	int pre;

	fputs("  ", out);
	cell(out, sp->res->service, l->svc, o->utf8, color, o->color);
	fputs("  ", out);
	pre = text_cols(sp->prefix, o->utf8);
	/* A deep tree in a narrow column: keep room for the name itself. */
	if (pre + text_cols(sp->name, o->utf8) > l->name && pre > l->name - 12)
		pre = l->name > 12 ? l->name - 12 : 0;
	cell(out, sp->prefix, pre, o->utf8, C_DIM, o->color);
	snprintf(name, sizeof(name), "%s%s", sp->orphan || sp->cycle ? "^ " : "",
		 sp->name);
	cell(out, name, l->name - pre, o->utf8, NULL, false);
	fprintf(out, "  %-8s  ", ts_kind_name(sp->kind));
	snprintf(st, sizeof(st), "%.5s%s%s", code ? code->text : "",
		 code && sp->status == 2 ? " " : "",
		 sp->status == 2 ? "ERROR" : code ? "" : sp->status == 1 ? "OK" : "-");
	if (o->color && sp->status == 2)
		fprintf(out, "%s%-9s%s", C_RED, st, C_RESET);
	else
		fprintf(out, "%-9s", st);
	ts_fmt_duration(sp->end - sp->start, o->utf8, dur, sizeof(dur));
	fprintf(out, " %*s ", 9 + (o->utf8 && strstr(dur, "\u00b5") ? 1 : 0), dur);
	bar(out, sp, l, o, color);
	fputc('\n', out);
}

/* Spans shown as roots because their parent is missing or looped. */
static void notes(FILE *out, const struct ts_trace_view *t,
		  const struct ts_text_opts *o)
{
	char svc[64], name[256];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct ts_span_view *sp = t->rows[i];

		if (!sp->orphan && !sp->cycle)
			continue;
		ts_text_clean(sp->res->service, 30, o->utf8, svc, sizeof(svc));
		ts_text_clean(sp->name, 60, o->utf8, name, sizeof(name));
		if (sp->orphan)
			fprintf(out, "  ^ %s %s: parent span %s is not in these "
				"files; shown as a root\n", svc, name, sp->parent);
		else
			fprintf(out, "  ^ %s %s: its parent links form a loop; "
				"shown as a root\n", svc, name);
	}
}

void ts_text_trace(FILE *out, struct ts_store *s, struct ts_trace_view *t,
		   const struct ts_text_opts *o, const char *note)
{
	struct layout l;
	size_t i;

	ts_trace_layout(s, t);
	if (!t->n)
		return;
	plan(t, o, &l);
	title(out, t, o, note);
	header(out, &l, o);
	for (i = 0; i < t->n; i++)
		row(out, t->rows[i], &l, o);
	notes(out, t, o);
	fputc('\n', out);
}
