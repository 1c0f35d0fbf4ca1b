/*
 * view.c - `traceshim view`: traces of OTLP/JSON span files as text trees,
 * as an HTML page, or followed while the files grow.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "layout.h"
#include "spans.h"
#include "tail.h"
#include "view_html.h"
#include "view_text.h"

static const char view_usage[] =
	"usage: traceshim view [options] FILE...\n"
	"\n"
	"Read OTLP/JSON span files (one ExportTraceServiceRequest per line, as\n"
	"the file exporter writes them; - is standard input), join spans into\n"
	"traces by trace id across all files, and print each trace as a tree:\n"
	"service, span name, kind, status, duration, and a bar on the trace's\n"
	"time line.\n"
	"\n"
	"options:\n"
	"  -f, --follow           keep reading the files as they grow; print each\n"
	"                         trace once no span arrived for it for a while\n"
	"                         (--quiet-ms), again if more come; Ctrl-C stops\n"
	"      --quiet-ms MS      the quiet period of --follow (default 1000)\n"
	"      --html OUT.html    write one self-contained page with a waterfall\n"
	"                         per trace instead (click a span for its\n"
	"                         attributes); - writes it to standard output\n"
	"  -t, --trace ID         only the trace(s) whose id starts with ID\n"
	"      --color WHEN       auto (default: on a terminal, unless NO_COLOR is\n"
	"                         set), always, or never\n"
	"  -w, --width COLUMNS    line width (default: the terminal's, or\n"
	"                         $COLUMNS, or 100)\n"
	"  -h, --help             this help\n"
	"\n"
	"Malformed lines are skipped with a warning.  A span whose parent is\n"
	"in none of the files is shown as a root, with a note.\n"
	"\n"
	"examples:\n"
	"  traceshim view build/demo/spans.jsonl\n"
	"  traceshim view --follow /tmp/spans-*.jsonl\n"
	"  traceshim view --html traces.html build/demo/spans.jsonl\n";

struct view_opts {
	bool follow;
	long quiet_ms;
	const char *html;
	const char *trace;
	struct ts_text_opts text;
};

/* --follow keeps a printed trace this long after its last span. */
#define FOLLOW_KEEP_MS (5 * 60 * 1000)

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static bool want(const struct view_opts *o, const struct ts_trace_view *t)
{
	return !o->trace || !strncasecmp(t->id, o->trace, strlen(o->trace));
}

static int term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long n;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_col >= 20)
		return ws.ws_col;
	if (c && (n = strtol(c, NULL, 10)) >= 20 && n <= 1000)
		return (int)n;
	return 100;
}

static int finish(int argc, struct view_opts *o, const char *color);

/* Parse options; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct view_opts *o)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "quiet-ms", required_argument, NULL, 'q' },
		{ "html", required_argument, NULL, 'H' },
		{ "trace", required_argument, NULL, 't' },
		{ "color", required_argument, NULL, 'c' },
		{ "colour", required_argument, NULL, 'c' },
		{ "width", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto";
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->quiet_ms = 1000;
	o->text.width = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fH:t:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o->follow = true; break;
		case 'H': o->html = optarg; break;
		case 't': o->trace = optarg; break;
		case 'c': color = optarg; break;
		case 'q':
			o->quiet_ms = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->quiet_ms < 0 ||
			    o->quiet_ms > 3600000) {
				fprintf(stderr, "traceshim: view: --quiet-ms %s: "
					"give milliseconds, 0 to 3600000\n", optarg);
				return 2;
			}
			break;
		case 'w':
			o->text.width = (int)strtol(optarg, &end, 10);
			if (*end || o->text.width < 40 || o->text.width > 1000) {
				fprintf(stderr, "traceshim: view: --width %s: give "
					"a number of columns, 40 to 1000\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(view_usage, stdout); return 0;
		default:
			return ts_usage_error("view", argv[optind - 1]);
		}
	}
	if ((c = finish(argc, o, color)) >= 0)
		return c;
	return -1;
}

/* What the options imply: colour, UTF-8, width; -1 when all is well. */
static int finish(int argc, struct view_opts *o, const char *color)
{
	const char *nc = getenv("NO_COLOR");

	if (!strcmp(color, "always")) {
		o->text.color = true;
	} else if (!strcmp(color, "auto")) {
		o->text.color = isatty(STDOUT_FILENO) && !(nc && *nc);
	} else if (strcmp(color, "never")) {
		fprintf(stderr, "traceshim: view: --color %s: use auto, always "
			"or never\n", color);
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "traceshim: view: no span files given; e.g. "
			"traceshim view build/demo/spans.jsonl (see traceshim "
			"view --help)\n");
		return 2;
	}
	if (o->follow && o->html) {
		fprintf(stderr, "traceshim: view: --follow prints text; write "
			"the page afterwards with --html\n");
		return 2;
	}
	setlocale(LC_CTYPE, "");
	o->text.utf8 = !strcasecmp(nl_langinfo(CODESET), "UTF-8");
	if (!o->text.width)
		o->text.width = term_width();
	return -1;
}

static void summarize(struct ts_tail *tails, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (tails[i].malformed > 10)
			fprintf(stderr, "traceshim: view: warning: %s: %ld "
				"malformed lines skipped in all\n",
				tails[i].path, tails[i].malformed);
}

static int print_all(struct ts_store *s, const struct view_opts *o)
{
	struct ts_trace_view **v;
	size_t n, i, shown = 0;
	int rc = 0;

	v = ts_store_sorted(s, &n);
	if (o->html) {
		rc = ts_html_write(o->html, s, v, n, o->trace);
		for (i = 0; i < n; i++)
			shown += want(o, v[i]);
	} else {
		for (i = 0; i < n; i++)
			if (want(o, v[i])) {
				ts_text_trace(stdout, s, v[i], &o->text, NULL);
				shown++;
			}
	}
	free(v);
	if (!rc && !shown) {
		if (o->trace && s->nspans)
			fprintf(stderr, "traceshim: view: no trace id starts "
				"with %s\n", o->trace);
		else
			fprintf(stderr, "traceshim: view: no spans found (the "
				"file exporter writes them: OTEL_TRACES_EXPORTER="
				"file TRACESHIM_FILE=PATH, or traceshim run "
				"--file PATH)\n");
		return 1;
	}
	return rc;
}

static int view_once(struct ts_tail *tails, int nt, const struct view_opts *o)
{
	struct ts_store s;
	int i, rc = 0;
	long r;

	ts_store_init(&s, o->text.utf8);
	for (i = 0; i < nt; i++) {
		r = ts_tail_poll(&tails[i], &s, stderr, "traceshim: view", true);
		if (r < 0) {
			fprintf(stderr, "traceshim: view: cannot read %s: %s\n",
				tails[i].path, strerror((int)-r));
			rc = 1;
		}
		ts_tail_close(&tails[i]);
	}
	summarize(tails, nt);
	i = print_all(&s, o);
	ts_store_free(&s);
	return rc ? rc : i;
}

/* Print the traces that are quiet (or all that changed, at the end). */
static void print_ready(struct ts_store *s, const struct view_opts *o,
			bool all)
{
	struct ts_trace_view **v;
	uint64_t now = ts_now_ms();
	char note[64];
	size_t n, i;

	v = ts_store_sorted(s, &n);
	for (i = 0; i < n; i++) {
		struct ts_trace_view *t = v[i];

		if (t->n == t->shown || !want(o, t) ||
		    (!all && now - t->seen_ms < (uint64_t)o->quiet_ms))
			continue;
		if (t->shown)
			snprintf(note, sizeof(note), "updated: %zu more span%s",
				 t->n - t->shown, t->n - t->shown == 1 ? "" : "s");
		ts_text_trace(stdout, s, t, &o->text, t->shown ? note : NULL);
		t->shown = t->n;
	}
	free(v);
	fflush(stdout);
}

static int view_follow(struct ts_tail *tails, int nt, const struct view_opts *o)
{
	struct timespec tick = { 0, 200 * 1000000L };
	uint64_t last_evict = ts_now_ms();
	struct sigaction sa;
	struct ts_store s;
	int i;
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	ts_store_init(&s, o->text.utf8);
	while (!stop) {
		for (i = 0; i < nt; i++) {
			r = ts_tail_poll(&tails[i], &s, stderr, "traceshim: view",
					 false);
			if (r < 0 && !tails[i].missing_said) {
				tails[i].missing_said = true;
				fprintf(stderr, "traceshim: view: %s: %s; waiting "
					"for it\n", tails[i].path, strerror((int)-r));
			} else if (r >= 0) {
				tails[i].missing_said = false;
			}
		}
		print_ready(&s, o, false);
		if (ferror(stdout))
			break; /* the reader went away */
		if (ts_now_ms() - last_evict > 10000) {
			/* Printed traces quiet for 5 minutes are let go. */
			ts_store_evict(&s, FOLLOW_KEEP_MS);
			last_evict = ts_now_ms();
		}
		nanosleep(&tick, NULL);
	}
	print_ready(&s, o, true);
	for (i = 0; i < nt; i++)
		ts_tail_close(&tails[i]);
	summarize(tails, nt);
	ts_store_free(&s);
	return 0;
}

int ts_cmd_view(int argc, char **argv)
{
	struct view_opts o;
	struct ts_tail *tails;
	int rc, i, nt;

	if ((rc = parse(argc, argv, &o)) >= 0)
		return rc;
	nt = argc - optind;
	if (!(tails = calloc((size_t)nt, sizeof(*tails))))
		return 1;
	for (i = 0; i < nt; i++)
		tails[i].path = argv[optind + i];
	rc = o.follow ? view_follow(tails, nt, &o) : view_once(tails, nt, &o);
	free(tails);
	return rc;
}
