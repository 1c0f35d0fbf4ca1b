/*
 * layout.c - a trace's spans in display order (see layout.h).
 */
#include <stdlib.h>
#include <string.h>

#include "layout.h"

static int by_start(const void *a, const void *b)
{
	const struct ts_span_view *x = *(struct ts_span_view *const *)a;
	const struct ts_span_view *y = *(struct ts_span_view *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* longer (outer) first */
	return strcmp(x->id, y->id);
}

#define PREFIX_LEVELS 24

struct frame {
	struct ts_span_view *sp;
	size_t next;          /* next child to visit */
	bool last;            /* last among its siblings */
};

/* Tree prefix of a span at `depth` whose ancestors' last-flags are in
 * lasts[1..depth]; at most PREFIX_LEVELS levels are drawn. */
static char *make_prefix(const bool *lasts, int depth, bool utf8)
{
	const char *bar = utf8 ? "\u2502  " : "|  ", *tee = utf8 ? "\u251c\u2500 " : "|- ";
	const char *ell = utf8 ? "\u2514\u2500 " : "`- ", *more = utf8 ? "\u2026" : "+";
	char buf[PREFIX_LEVELS * 9 + 16];
	size_t n = 0;
	int d, from = depth > PREFIX_LEVELS ? depth - PREFIX_LEVELS + 1 : 1;

	buf[0] = '\0';
	if (from > 1)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", more);
	for (d = from; d < depth; d++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
				      lasts[d] ? "   " : bar);
	if (depth > 0)
		snprintf(buf + n, sizeof(buf) - n, "%s", lasts[depth] ? ell : tee);
	return strdup(buf);
}

struct kids {
	size_t *first;                /* per span index: offset in all[] */
	size_t *count;
	struct ts_span_view **all;
};

static void visit(struct ts_store *s, struct ts_trace_view *t,
		  struct ts_span_view *root, bool root_last, struct kids *k,
		  bool *done, size_t *nrows, struct frame *stack, bool *lasts)
{
	size_t top = 0, i;
	struct ts_span_view *sp;

	stack[top++] = (struct frame){ root, 0, root_last };
	done[root->row] = true;
	root->depth = 0;
	for (;;) {
		struct frame *f = &stack[top - 1];

		if (f->next == 0) { /* entering */
			sp = f->sp;
			lasts[sp->depth] = f->last;
			free(sp->prefix);
			sp->prefix = make_prefix(lasts, sp->depth, s->utf8_tree);
			t->rows[*nrows] = sp;
			(*nrows)++;
		}
		i = k->first[f->sp->row] + f->next;
		while (f->next < k->count[f->sp->row] && done[k->all[i]->row]) {
			f->next++; /* reached already (duplicate link) */
			i++;
		}
		if (f->next >= k->count[f->sp->row]) {
			if (--top == 0)
				return;
			continue;
		}
		sp = k->all[i];
		f->next++;
		done[sp->row] = true;
		sp->depth = f->sp->depth + 1;
		sp->up = f->sp;
		stack[top++] = (struct frame){ sp, 0,
					       f->next >= k->count[f->sp->row] };
	}
}

/* Group the children of each span (by index) and collect the roots:
 * spans without a parent, or whose parent is not in the store. */
static size_t group(struct ts_store *s, struct ts_trace_view *t,
		    struct kids *k, struct ts_span_view **roots)
{
	struct ts_span_view *sp, *up;
	size_t i, nroots = 0, *fill = ts_xcalloc(t->n, sizeof(size_t));

	for (i = 0; i < t->n; i++) {
		sp = t->spans[i];
		up = sp->parent[0] ? ts_store_span(s, sp->trace, sp->parent) : NULL;
		if (up && up != sp) {
			k->count[up->row]++;
		} else if (!up) {
			roots[nroots++] = sp;
			sp->orphan = sp->parent[0] != '\0';
		}
		sp->up = up;
	}
	for (i = 1; i < t->n; i++)
		k->first[i] = k->first[i - 1] + k->count[i - 1];
	for (i = 0; i < t->n; i++)
		if ((up = t->spans[i]->up) && up != t->spans[i])
			k->all[k->first[up->row] + fill[up->row]++] = t->spans[i];
	for (i = 0; i < t->n; i++)
		t->spans[i]->up = NULL; /* visit() sets the tree's links */
	free(fill);
	return nroots;
}

void ts_trace_layout(struct ts_store *s, struct ts_trace_view *t)
{
	struct ts_span_view **roots;
	struct frame *stack;
	struct kids k;
	size_t i, nroots, nrows = 0;
	bool *done, *lasts;

	if (t->laid_out)
		return;
	qsort(t->spans, t->n, sizeof(*t->spans), by_start);
	t->start = t->n ? t->spans[0]->start : 0;
	t->end = t->start;
	for (i = 0; i < t->n; i++) {
		t->spans[i]->row = i; /* index while laying out */
		t->spans[i]->orphan = t->spans[i]->cycle = false;
		if (t->spans[i]->end > t->end)
			t->end = t->spans[i]->end;
	}
	k.first = ts_xcalloc(t->n, sizeof(size_t));
	k.count = ts_xcalloc(t->n, sizeof(size_t));
	k.all = ts_xcalloc(t->n, sizeof(*k.all));
	roots = ts_xcalloc(t->n, sizeof(*roots));
	nroots = group(s, t, &k, roots);
	free(t->rows);
	t->rows = ts_xcalloc(t->n, sizeof(*t->rows));
	done = ts_xcalloc(t->n, sizeof(bool));
	lasts = ts_xcalloc(t->n + 1, sizeof(bool));
	stack = ts_xcalloc(t->n + 1, sizeof(*stack));
	for (i = 0; i < nroots; i++)
		visit(s, t, roots[i], true, &k, done, &nrows, stack, lasts);
	/* What no root reached hangs in a parent cycle: break it open at
	 * its earliest span. */
	for (i = 0; i < t->n; i++)
		if (!done[i]) {
			t->spans[i]->cycle = true;
			visit(s, t, t->spans[i], true, &k, done, &nrows, stack,
			      lasts);
		}
	free(k.first);
	free(k.count);
	free(k.all);
	free(roots);
	free(done);
	free(lasts);
	free(stack);
	for (i = 0; i < t->n; i++)
		t->rows[i]->row = i;
	t->laid_out = true;
}

static int trace_by_start(const void *a, const void *b)
{
	const struct ts_trace_view *x = *(struct ts_trace_view *const *)a;
	const struct ts_trace_view *y = *(struct ts_trace_view *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

struct ts_trace_view **ts_store_sorted(struct ts_store *s, size_t *n)
{
	struct ts_trace_view **v = ts_xcalloc(s->ntraces, sizeof(*v));
	size_t i;

	for (i = 0; i < s->ntraces; i++) {
		ts_trace_layout(s, s->traces[i]);
		v[i] = s->traces[i];
	}
	qsort(v, s->ntraces, sizeof(*v), trace_by_start);
	*n = s->ntraces;
	return v;
}
