/*
 * sampler.c - OTEL_TRACES_SAMPLER and the sampling decision (see
 * sampler.h).
 *
 * Configuration runs once, on the initialising thread; the decision is a
 * pure function that any thread, or a signal handler, may call.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ids.h"
#include "log.h"
#include "quote.h"
#include "sampler.h"

#define DEFAULT_KIND TS_SAMPLER_PARENTBASED_ALWAYS_ON

static const struct {
	const char *name;
	uint8_t kind;
} kinds[] = {
	{ "always_on", TS_SAMPLER_ALWAYS_ON },
	{ "always_off", TS_SAMPLER_ALWAYS_OFF },
	{ "traceidratio", TS_SAMPLER_TRACEIDRATIO },
	{ "parentbased_always_on", TS_SAMPLER_PARENTBASED_ALWAYS_ON },
	{ "parentbased_always_off", TS_SAMPLER_PARENTBASED_ALWAYS_OFF },
	{ "parentbased_traceidratio", TS_SAMPLER_PARENTBASED_TRACEIDRATIO },
};

/* Values the specification knows that need a remote service or vendor. */
static const char *const unsupported[] = {
	"jaeger_remote",
	"parentbased_jaeger_remote",
	"xray",
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* `s` without surrounding blanks, as (*p, returned length); 0 if unset. */
static size_t trimmed(const char *s, const char **p)
{
	size_t n;

	if (!s)
		return 0;
	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		n--;
	*p = s;
	return n;
}

static bool uses_ratio(uint8_t kind)
{
	return kind == TS_SAMPLER_TRACEIDRATIO ||
	       kind == TS_SAMPLER_PARENTBASED_TRACEIDRATIO;
}

static bool is_parent_based(uint8_t kind)
{
	return kind >= TS_SAMPLER_PARENTBASED_ALWAYS_ON;
}

/* 10^0 .. 10^22: every one is exactly representable as a double. */
static const double pow10_exact[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* A decimal number as mantissa * 10^exp10 (+ dropped digits). */
struct decimal {
	uint64_t mant;   /* the first 19 significant digits */
	long exp10;      /* power of ten applied to mant */
	bool inexact;    /* non-zero digits after the 19th were dropped */
};

/* Strict "[+]digits[.digits][(e|E)[+|-]digits]"; false for anything else. */
static bool parse_decimal(const char *s, size_t n, struct decimal *d)
{
	size_t i = 0, digits = 0, sig = 0;
	long e = 0;
	bool neg_e = false;

	memset(d, 0, sizeof(*d));
	if (i < n && s[i] == '+')
		i++;
	for (bool frac = false; i < n; i++) {
		if (s[i] == '.' && !frac) {
			frac = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		digits++;
		if (d->mant == 0 && s[i] == '0') { /* leading zero */
			d->exp10 -= frac;
			continue;
		}
		if (sig < 19) {
			d->mant = d->mant * 10 + (uint64_t)(s[i] - '0');
			d->exp10 -= frac;
			sig++;
		} else {
			d->inexact |= s[i] != '0';
			d->exp10 += !frac;
		}
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t start;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg_e = s[i++] == '-';
		start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
		if (i == start)
			return false;
		d->exp10 += neg_e ? -e : e;
	}
	return i == n;
}

/*
 * The ratio of `d` when it lies in [0, 1].  Up to 15 significant digits
 * (every ratio anyone writes) the double is the correctly rounded one, as
 * strtod or Go's ParseFloat would give, so the bound equals the Go SDK's
 * bit for bit; longer inputs are rounded slightly less carefully.
 */
static bool decimal_ratio(const struct decimal *d, double *ratio)
{
	long k = -d->exp10;
	uint64_t p10 = 1;
	double r;

	if (d->mant == 0) {
		*ratio = 0.0;
		return true;
	}
	if (d->exp10 >= 0) { /* an integer >= 1 */
		if (d->mant == 1 && d->exp10 == 0 && !d->inexact) {
			*ratio = 1.0;
			return true;
		}
		return false;
	}
	if (k <= 19) {
		for (long i = 0; i < k; i++)
			p10 *= 10;
		if (d->mant > p10 || (d->mant == p10 && d->inexact))
			return false;
		if (d->mant == p10) {
			*ratio = 1.0;
			return true;
		}
	}
	/* Below 1 from here on. */
	if (d->mant <= (1ull << 53) && k <= 22) {
		*ratio = (double)d->mant / pow10_exact[k];
		return true;
	}
	r = (double)d->mant;
	for (; k > 22; k -= 22)
		r /= 1e22;
	*ratio = r / pow10_exact[k];
	return true;
}

static uint64_t ratio_bound(double ratio)
{
	if (ratio >= 1.0)
		return UINT64_MAX;
	if (ratio <= 0.0)
		return 0;
	/* ratio * 2^63 is exact (a power-of-two scale) and below 2^63. */
	return (uint64_t)(ratio * 9223372036854775808.0);
}

static void set_kind(struct ts_sampler *s, uint8_t kind, double ratio)
{
	memset(s, 0, sizeof(*s)); /* padding too: configs are memcmp'd */
	s->kind = kind;
	s->set = true;
	s->ratio = ratio;
	s->bound = ratio_bound(ratio);
}

/* The kind named by `p`/`n`; -1 unknown, -2 known but unsupported. */
static int kind_of(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(kinds); i++)
		if (strlen(kinds[i].name) == n &&
		    !strncasecmp(p, kinds[i].name, n))
			return kinds[i].kind;
	for (i = 0; i < TS_ARRAY_SIZE(unsupported); i++)
		if (strlen(unsupported[i]) == n &&
		    !strncasecmp(p, unsupported[i], n))
			return -2;
	return -1;
}

int ts_sampler_configure(struct ts_sampler *s, const char *name,
			 const char *arg)
{
	const char *np = NULL, *ap = NULL;
	size_t nn = trimmed(name, &np), an = trimmed(arg, &ap);
	struct decimal d;
	double ratio = 1.0;
	char q[80];
	int kind;

	set_kind(s, DEFAULT_KIND, 1.0);
	if (!nn)
		return 0; /* the argument only counts with a sampler set */
	kind = kind_of(np, nn);
	if (kind < 0) {
		ts_warn("OTEL_TRACES_SAMPLER=\"%s\" is %s; using "
			"parentbased_always_on",
			ts_quote(q, sizeof(q), np, nn),
			kind == -2 ? "not supported by traceshim"
				   : "not a known sampler (always_on, "
				     "always_off, traceidratio, "
				     "parentbased_always_on, "
				     "parentbased_always_off, "
				     "parentbased_traceidratio)");
		return 1;
	}
	if (uses_ratio((uint8_t)kind) && an &&
	    !(parse_decimal(ap, an, &d) && decimal_ratio(&d, &ratio))) {
		ts_warn("OTEL_TRACES_SAMPLER_ARG=\"%s\" is not a sampling "
			"ratio from 0 to 1; using 1.0",
			ts_quote(q, sizeof(q), ap, an));
		set_kind(s, (uint8_t)kind, 1.0);
		return 1;
	}
	set_kind(s, (uint8_t)kind, ratio);
	return 0;
}

/* TraceIdRatioBased: the Go SDK's rule, on the last 8 bytes. */
static bool ratio_says(uint64_t bound, const uint8_t id[16])
{
	uint64_t x = 0;

	for (int i = 8; i < 16; i++)
		x = x << 8 | id[i];
	return (x >> 1) < bound;
}

TS_HOT
bool ts_sampler_sample(const struct ts_sampler *s,
		       const struct ts_span_ctx *parent,
		       const uint8_t trace_id[16])
{
	uint8_t kind = s->set ? s->kind : DEFAULT_KIND;

	/* A deferred parent (B3 without a sampling state) made no decision:
	 * Zipkin's B3 leaves it to the receiver, so the root sampler makes
	 * it, on the caller's trace id. */
	if (is_parent_based(kind) && parent &&
	    !(parent->xflags & TS_CTX_DEFERRED) &&
	    !ts_ids_is_zero(parent->trace_id, 16) &&
	    !ts_ids_is_zero(parent->span_id, 8))
		return parent->flags & TS_TRACE_FLAG_SAMPLED;
	switch (kind) {
	case TS_SAMPLER_ALWAYS_OFF:
	case TS_SAMPLER_PARENTBASED_ALWAYS_OFF:
		return false;
	case TS_SAMPLER_TRACEIDRATIO:
	case TS_SAMPLER_PARENTBASED_TRACEIDRATIO:
		return ratio_says(s->bound, trace_id);
	default:
		return true;
	}
}

void ts_sampler_describe(const struct ts_sampler *s, char *buf, size_t size)
{
	uint8_t kind = s->set ? s->kind : DEFAULT_KIND;
	char root[64];

	if (!size)
		return;
	switch (kind) {
	case TS_SAMPLER_ALWAYS_OFF:
	case TS_SAMPLER_PARENTBASED_ALWAYS_OFF:
		snprintf(root, sizeof(root), "AlwaysOffSampler");
		break;
	case TS_SAMPLER_TRACEIDRATIO:
	case TS_SAMPLER_PARENTBASED_TRACEIDRATIO:
		snprintf(root, sizeof(root), "TraceIdRatioBased{%.6g}",
			 s->ratio);
		break;
	default:
		snprintf(root, sizeof(root), "AlwaysOnSampler");
	}
	if (is_parent_based(kind))
		snprintf(buf, size, "ParentBased{root:%s}", root);
	else
		snprintf(buf, size, "%s", root);
}
