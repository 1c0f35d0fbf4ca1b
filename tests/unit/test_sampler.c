/*
 * test_sampler.c - OTEL_TRACES_SAMPLER[_ARG] and the sampling decision.
 *
 * What is proved: every sampler name of the specification is understood
 * (any case, blanks around), unknown and unsupported ones warn once and
 * give parentbased_always_on; the ratio argument is parsed exactly (the
 * same double strtod gives, so the same bound as the Go SDK), defaults to
 * 1.0 and warns once when it is not a number in [0, 1]; the ratio decision
 * is the Go SDK's function of the trace id's last 8 bytes (boundary ids on
 * both sides), deterministic, monotonic in the ratio, and samples
 * 0.25 +- 0.02 of 20k random trace ids at 0.25, none at 0 and all at 1;
 * the parent-based samplers follow a valid parent's sampled flag, remote
 * or local, and ask their root sampler only for roots; a caller sampling
 * at ratio 0 makes a parent-based callee record nothing, and the context
 * it propagates carries flags 00.  Also: ts_config_load() fills
 * ts_cfg.sampler from the environment with one warning per bad value.
 */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/config.h"
#include "../../preload/ids.h"
#include "../../preload/log.h"
#include "../../preload/sampler.h"
#include "capture.h"
#include "suites.h"

#define WARN_PREFIX "traceshim: warning: "

/* Configure `s`, capturing what is printed into `err`. */
static int configure_captured(struct ts_sampler *s, const char *name,
			      const char *arg, char *err, size_t size)
{
	struct ts_capture cap;
	int w;

	ts_capture_begin(&cap);
	w = ts_sampler_configure(s, name, arg);
	ts_capture_end(&cap, err, size);
	return w;
}

/* Exactly one warning line, naming `var` and quoting `value`. */
static void assert_one_warning(const char *err, const char *var,
			       const char *value)
{
	char quoted[256];

	ck_assert_msg(ts_capture_count_lines(err) == 1, "want one line: [%s]",
		      err);
	ck_assert_msg(!strncmp(err, WARN_PREFIX, strlen(WARN_PREFIX)),
		      "not a warning: [%s]", err);
	ck_assert_msg(strstr(err, var), "%s not named: [%s]", var, err);
	snprintf(quoted, sizeof(quoted), "\"%s\"", value);
	ck_assert_msg(strstr(err, quoted), "value %s not quoted: [%s]", quoted,
		      err);
}

/* A trace id whose last 8 bytes are `lo` (big-endian), first 8 `hi`. */
static void make_id(uint8_t id[16], uint64_t hi, uint64_t lo)
{
	for (int i = 0; i < 8; i++) {
		id[i] = (uint8_t)(hi >> (56 - 8 * i));
		id[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

static void make_ctx(struct ts_span_ctx *c, bool sampled, bool remote)
{
	memset(c, 0, sizeof(*c));
	ts_ids_trace(c->trace_id);
	ts_ids_span(c->span_id);
	c->flags = sampled ? TS_TRACE_FLAG_SAMPLED : 0;
	c->remote = remote;
}

static struct ts_sampler configured(const char *name, const char *arg)
{
	struct ts_sampler s;
	char err[1024];

	ck_assert_int_eq(configure_captured(&s, name, arg, err, sizeof(err)), 0);
	ck_assert_msg(err[0] == '\0', "%s/%s printed [%s]", name, arg, err);
	return s;
}

/* ---- configuration ---------------------------------------------------- */

START_TEST(unset_sampler_is_parentbased_always_on_silently)
{
	struct ts_sampler s = configured(NULL, NULL);

	ck_assert_uint_eq(s.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
	ck_assert(s.set);
	s = configured("", "0.5");
	ck_assert_uint_eq(s.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
	s = configured(" \t\n", NULL);
	ck_assert_uint_eq(s.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
}
END_TEST

START_TEST(every_specified_name_is_understood_in_any_case)
{
	static const struct {
		const char *name;
		uint8_t kind;
	} cases[] = {
		{ "always_on", TS_SAMPLER_ALWAYS_ON },
		{ "always_off", TS_SAMPLER_ALWAYS_OFF },
		{ "traceidratio", TS_SAMPLER_TRACEIDRATIO },
		{ "parentbased_always_on", TS_SAMPLER_PARENTBASED_ALWAYS_ON },
		{ "parentbased_always_off", TS_SAMPLER_PARENTBASED_ALWAYS_OFF },
		{ "parentbased_traceidratio",
		  TS_SAMPLER_PARENTBASED_TRACEIDRATIO },
		{ "ALWAYS_OFF", TS_SAMPLER_ALWAYS_OFF },
		{ " TraceIdRatio\t", TS_SAMPLER_TRACEIDRATIO },
		{ "ParentBased_Always_Off\n", TS_SAMPLER_PARENTBASED_ALWAYS_OFF },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_sampler s = configured(cases[i].name, NULL);

		ck_assert_msg(s.kind == cases[i].kind, "\"%s\" gave %u",
			      cases[i].name, s.kind);
		ck_assert(s.ratio == 1.0);
	}
}
END_TEST

START_TEST(unknown_and_unsupported_names_warn_once_and_default)
{
	static const char *const bad[] = {
		"sometimes",     "always",        "parentbased",
		"always_on,x",   "traceidratio2", "jaeger_remote",
		"xray",          "parentbased_jaeger_remote",
		"always on",     "0.5",
	};
	struct ts_sampler s;
	char err[1024];

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		/* The argument of a rejected sampler is not read at all. */
		ck_assert_int_eq(configure_captured(&s, bad[i], "junk", err,
						    sizeof(err)),
				 1);
		assert_one_warning(err, "OTEL_TRACES_SAMPLER", bad[i]);
		ck_assert_msg(strstr(err, "parentbased_always_on"),
			      "default not named: [%s]", err);
		ck_assert_uint_eq(s.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
		ck_assert(s.set);
	}
	configure_captured(&s, "jaeger_remote", NULL, err, sizeof(err));
	ck_assert_msg(strstr(err, "not supported"), "[%s]", err);
}
END_TEST

START_TEST(control_bytes_in_a_bad_value_stay_on_one_line)
{
	struct ts_sampler s;
	char err[1024];

	ck_assert_int_eq(configure_captured(&s, "bad\nline\x1b[31m", NULL,
					    err, sizeof(err)),
			 1);
	ck_assert_uint_eq(ts_capture_count_lines(err), 1);
	ck_assert_ptr_null(strchr(err, '\x1b'));
}
END_TEST

START_TEST(ratio_argument_is_parsed_exactly)
{
	/* Up to 15 significant digits and 10^-22: the correctly rounded
	 * double, the one strtod (and Go's ParseFloat) gives. */
	static const char *const exact[] = {
		"0",     "1",       "0.25",     ".5",      "0.5",
		"1.0",   "1.",      "+0.75",    "2.5e-1",  "25E-2",
		"0.1",   "0.3",     "0.001",    "1e-9",    "0.123456789012345",
		"0e5",   "10e-1",   "0.99999",  " 0.2 ",   "100e-2",
		"0.0",   "0.0000000000000000000001", "000.5", "0.500000",
	};
	/* Longer ones: within an ulp or two. */
	static const char *const close[] = {
		"0.33333333333333333333333", "0.000000000000000000000001",
		"0.12345678901234567890123", "1e-30",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(exact); i++) {
		struct ts_sampler s = configured("traceidratio", exact[i]);
		double want = strtod(exact[i], NULL);

		ck_assert_msg(s.ratio == want, "\"%s\": %.17g, strtod %.17g",
			      exact[i], s.ratio, want);
	}
	for (size_t i = 0; i < TS_ARRAY_SIZE(close); i++) {
		struct ts_sampler s = configured("traceidratio", close[i]);
		double want = strtod(close[i], NULL);

		ck_assert_msg(fabs(s.ratio - want) <= 4e-16 * want,
			      "\"%s\": %.17g, strtod %.17g", close[i], s.ratio,
			      want);
	}
}
END_TEST

START_TEST(ratio_argument_out_of_range_or_junk_warns_and_uses_one)
{
	static const char *const bad[] = {
		"1.5",    "-0.5",     "2",     "-0",     "abc",   "0.5x",
		"nan",    "inf",      "0x1p-2", "1e1",   "",      ".",
		"e5",     "0.5e",     "0.5e+", "5%",     "1,5",   "0..5",
		"1.0000000000000000000001",    "0.25 0.5", "++0.5", "0,25",
	};
	struct ts_sampler s;
	char err[1024];

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		int w = configure_captured(&s, "parentbased_traceidratio",
					   bad[i], err, sizeof(err));

		if (!bad[i][0]) { /* empty is unset, not invalid */
			ck_assert_int_eq(w, 0);
			ck_assert_str_eq(err, "");
		} else {
			ck_assert_msg(w == 1, "\"%s\": %d", bad[i], w);
			assert_one_warning(err, "OTEL_TRACES_SAMPLER_ARG", bad[i]);
			ck_assert_msg(strstr(err, "1.0"), "[%s]", err);
		}
		ck_assert_uint_eq(s.kind, TS_SAMPLER_PARENTBASED_TRACEIDRATIO);
		ck_assert(s.ratio == 1.0);
		ck_assert_uint_eq(s.bound, UINT64_MAX);
	}
}
END_TEST

START_TEST(argument_of_samplers_without_one_is_ignored_silently)
{
	static const char *const names[] = {
		"always_on", "always_off", "parentbased_always_on",
		"parentbased_always_off",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++) {
		struct ts_sampler s = configured(names[i], "not a number");

		ck_assert(s.ratio == 1.0);
	}
}
END_TEST

START_TEST(a_locale_with_decimal_comma_does_not_change_the_ratio)
{
	/* The argument is parsed without the C library's locale. */
	struct ts_sampler s;

	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") &&
	    !setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
		return; /* no such locale installed: nothing to prove here */
	s = configured("traceidratio", "0.25");
	ck_assert(s.ratio == 0.25);
	setlocale(LC_NUMERIC, "C");
}
END_TEST

/* ---- the ratio decision -------------------------------------------------- */

START_TEST(bound_is_the_go_sdks)
{
	static const char *const ratios[] = { "0.25", "0.5", "0.1", "0.3",
					      "0.001", "0.999", "1e-9" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(ratios); i++) {
		struct ts_sampler s = configured("traceidratio", ratios[i]);
		double r = strtod(ratios[i], NULL);

		/* Go: uint64(fraction * (1 << 63)) */
		ck_assert_msg(s.bound == (uint64_t)(r * 9223372036854775808.0),
			      "%s: bound %llu", ratios[i],
			      (unsigned long long)s.bound);
	}
	ck_assert_uint_eq(configured("traceidratio", "0.25").bound, 1ull << 61);
	ck_assert_uint_eq(configured("traceidratio", "0").bound, 0);
	ck_assert_uint_eq(configured("traceidratio", "1").bound, UINT64_MAX);
}
END_TEST

START_TEST(ratio_decision_reads_the_last_eight_bytes_big_endian)
{
	struct ts_sampler s = configured("traceidratio", "0.25");
	static const uint64_t highs[] = { 0, 0xffffffffffffffffull,
					  0x0123456789abcdefull };
	uint8_t id[16];

	/* 0.25: sampled iff (x >> 1) < 2^61, i.e. x < 2^62. */
	for (size_t i = 0; i < TS_ARRAY_SIZE(highs); i++) {
		make_id(id, highs[i], 0);
		ck_assert(ts_sampler_sample(&s, NULL, id));
		make_id(id, highs[i], (1ull << 62) - 1);
		ck_assert(ts_sampler_sample(&s, NULL, id));
		make_id(id, highs[i], 1ull << 62);
		ck_assert(!ts_sampler_sample(&s, NULL, id));
		make_id(id, highs[i], 0xffffffffffffffffull);
		ck_assert(!ts_sampler_sample(&s, NULL, id));
	}
	/* Byte order: only the first of the last 8 bytes is large here. */
	memset(id, 0, 16);
	id[8] = 0x40;
	ck_assert(!ts_sampler_sample(&s, NULL, id));
	memset(id, 0, 16);
	id[15] = 0xff;
	ck_assert(ts_sampler_sample(&s, NULL, id));
}
END_TEST

/* Fraction of `n` fresh random trace ids that `s` samples as roots. */
static double sampled_fraction(const struct ts_sampler *s, unsigned n)
{
	unsigned yes = 0;
	uint8_t id[16];

	for (unsigned i = 0; i < n; i++) {
		ts_ids_trace(id);
		yes += ts_sampler_sample(s, NULL, id);
	}
	return (double)yes / n;
}

START_TEST(ratio_quarter_samples_a_quarter_of_20k_random_traces)
{
	/* 20k draws at p = 0.25: sd = 0.003, so +-0.02 is over 6 sd. */
	struct ts_sampler a = configured("traceidratio", "0.25");
	struct ts_sampler b = configured("parentbased_traceidratio", "0.25");
	double fa = sampled_fraction(&a, 20000), fb = sampled_fraction(&b, 20000);

	ck_assert_msg(fabs(fa - 0.25) <= 0.02, "traceidratio: %f", fa);
	ck_assert_msg(fabs(fb - 0.25) <= 0.02, "parentbased_traceidratio: %f",
		      fb);
}
END_TEST

START_TEST(other_ratios_sample_their_share)
{
	static const double ratios[] = { 0.01, 0.1, 0.5, 0.9, 0.99 };
	char arg[32];

	for (size_t i = 0; i < TS_ARRAY_SIZE(ratios); i++) {
		struct ts_sampler s;
		double f;

		snprintf(arg, sizeof(arg), "%g", ratios[i]);
		s = configured("traceidratio", arg);
		f = sampled_fraction(&s, 20000);
		ck_assert_msg(fabs(f - ratios[i]) <= 0.02, "%s: %f", arg, f);
	}
}
END_TEST

START_TEST(ratio_zero_samples_nothing_and_one_everything)
{
	struct ts_sampler zero = configured("traceidratio", "0");
	struct ts_sampler one = configured("traceidratio", "1");
	struct ts_sampler dflt = configured("traceidratio", NULL);
	static const uint64_t edges[] = { 0, 1, 0x7fffffffffffffffull,
					  0x8000000000000000ull,
					  0xfffffffffffffffeull,
					  0xffffffffffffffffull };
	uint8_t id[16];

	ck_assert(sampled_fraction(&zero, 20000) == 0.0);
	ck_assert(sampled_fraction(&one, 20000) == 1.0);
	ck_assert(sampled_fraction(&dflt, 20000) == 1.0);
	for (size_t i = 0; i < TS_ARRAY_SIZE(edges); i++) {
		make_id(id, edges[i], edges[i]);
		ck_assert(!ts_sampler_sample(&zero, NULL, id));
		ck_assert(ts_sampler_sample(&one, NULL, id));
	}
}
END_TEST

START_TEST(same_trace_id_always_gets_the_same_answer)
{
	struct ts_sampler a = configured("traceidratio", "0.3");
	struct ts_sampler b = configured("parentbased_traceidratio", "0.3");
	uint8_t id[16];

	for (int i = 0; i < 5000; i++) {
		bool first;

		ts_ids_trace(id);
		first = ts_sampler_sample(&a, NULL, id);
		for (int k = 0; k < 3; k++) {
			ck_assert(ts_sampler_sample(&a, NULL, id) == first);
			/* Another sampler, another "process": same answer. */
			ck_assert(ts_sampler_sample(&b, NULL, id) == first);
		}
	}
}
END_TEST

START_TEST(higher_ratio_samples_every_trace_a_lower_one_does)
{
	static const char *const ratios[] = { "0", "0.001", "0.1", "0.25",
					      "0.5", "0.75", "0.999", "1" };
	struct ts_sampler s[TS_ARRAY_SIZE(ratios)];
	uint8_t id[16];

	for (size_t r = 0; r < TS_ARRAY_SIZE(ratios); r++)
		s[r] = configured("traceidratio", ratios[r]);
	for (int i = 0; i < 20000; i++) {
		ts_ids_trace(id);
		for (size_t r = 1; r < TS_ARRAY_SIZE(ratios); r++)
			ck_assert(!ts_sampler_sample(&s[r - 1], NULL, id) ||
				  ts_sampler_sample(&s[r], NULL, id));
	}
}
END_TEST

START_TEST(traceidratio_alone_ignores_the_parent)
{
	struct ts_sampler s = configured("traceidratio", "0.25");
	struct ts_span_ctx sampled, unsampled;
	uint8_t id[16];

	for (int i = 0; i < 2000; i++) {
		bool root;

		ts_ids_trace(id);
		root = ts_sampler_sample(&s, NULL, id);
		make_ctx(&sampled, true, i & 1);
		make_ctx(&unsampled, false, i & 1);
		ck_assert(ts_sampler_sample(&s, &sampled, id) == root);
		ck_assert(ts_sampler_sample(&s, &unsampled, id) == root);
	}
}
END_TEST

/* ---- parent-based and the constant samplers ------------------------------ */

START_TEST(always_on_and_always_off_ignore_the_parent)
{
	struct ts_sampler on = configured("always_on", NULL);
	struct ts_sampler off = configured("always_off", NULL);
	struct ts_span_ctx p;
	uint8_t id[16];

	ts_ids_trace(id);
	for (int flags = 0; flags < 4; flags++) {
		make_ctx(&p, flags & 1, flags & 2);
		ck_assert(ts_sampler_sample(&on, &p, id));
		ck_assert(!ts_sampler_sample(&off, &p, id));
	}
	ck_assert(ts_sampler_sample(&on, NULL, id));
	ck_assert(!ts_sampler_sample(&off, NULL, id));
}
END_TEST

START_TEST(parent_based_follows_a_valid_parents_flag_remote_or_local)
{
	static const char *const names[][2] = {
		{ "parentbased_always_on", NULL },
		{ "parentbased_always_off", NULL },
		{ "parentbased_traceidratio", "0" },
		{ "parentbased_traceidratio", "1" },
		{ "parentbased_traceidratio", "0.5" },
	};
	struct ts_span_ctx p;
	uint8_t id[16];

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++) {
		struct ts_sampler s = configured(names[i][0], names[i][1]);

		for (int k = 0; k < 200; k++) {
			ts_ids_trace(id);
			make_ctx(&p, true, k & 1);
			ck_assert(ts_sampler_sample(&s, &p, id));
			make_ctx(&p, false, k & 1);
			ck_assert(!ts_sampler_sample(&s, &p, id));
			/* Other flag bits (W3C level 2 "random") don't matter. */
			p.flags = 0x02;
			ck_assert(!ts_sampler_sample(&s, &p, id));
			p.flags = 0x03;
			ck_assert(ts_sampler_sample(&s, &p, id));
		}
	}
}
END_TEST

START_TEST(parent_based_asks_the_root_sampler_for_roots_and_invalid_parents)
{
	struct ts_sampler on = configured("parentbased_always_on", NULL);
	struct ts_sampler off = configured("parentbased_always_off", NULL);
	struct ts_sampler half = configured("parentbased_traceidratio", "0.5");
	struct ts_sampler ratio = configured("traceidratio", "0.5");
	struct ts_span_ctx bad;
	uint8_t id[16];

	memset(&bad, 0, sizeof(bad)); /* all-zero ids: no parent */
	bad.flags = TS_TRACE_FLAG_SAMPLED;
	for (int k = 0; k < 2000; k++) {
		ts_ids_trace(id);
		ck_assert(ts_sampler_sample(&on, NULL, id));
		ck_assert(!ts_sampler_sample(&off, NULL, id));
		ck_assert(!ts_sampler_sample(&off, &bad, id));
		ck_assert(ts_sampler_sample(&half, NULL, id) ==
			  ts_sampler_sample(&ratio, NULL, id));
		ck_assert(ts_sampler_sample(&half, &bad, id) ==
			  ts_sampler_sample(&ratio, NULL, id));
	}
	/* A zero span id alone is invalid too. */
	make_ctx(&bad, true, true);
	memset(bad.span_id, 0, 8);
	ck_assert(!ts_sampler_sample(&off, &bad, id));
}
END_TEST

START_TEST(deferred_parent_is_decided_by_the_root_sampler)
{
	struct ts_sampler on = configured("parentbased_always_on", NULL);
	struct ts_sampler off = configured("parentbased_always_off", NULL);
	struct ts_sampler q = configured("parentbased_traceidratio", "0.25");
	struct ts_sampler ratio = configured("traceidratio", "0.25");
	struct ts_span_ctx p;

	for (int k = 0; k < 2000; k++) {
		make_ctx(&p, false, true);
		p.xflags = TS_CTX_DEFERRED; /* B3 without X-B3-Sampled */
		ck_assert(ts_sampler_sample(&on, &p, p.trace_id));
		ck_assert(!ts_sampler_sample(&off, &p, p.trace_id));
		/* On the caller's trace id: the same answer as every hop. */
		ck_assert(ts_sampler_sample(&q, &p, p.trace_id) ==
			  ts_sampler_sample(&ratio, NULL, p.trace_id));
		/* Debug (sampled flag set by the propagator) is followed. */
		make_ctx(&p, true, true);
		p.xflags = TS_CTX_DEBUG;
		ck_assert(ts_sampler_sample(&off, &p, p.trace_id));
	}
}
END_TEST

START_TEST(zeroed_sampler_acts_as_the_default)
{
	struct ts_sampler z;
	struct ts_span_ctx p;
	uint8_t id[16];
	char d[128];

	memset(&z, 0, sizeof(z));
	ts_ids_trace(id);
	ck_assert(ts_sampler_sample(&z, NULL, id));
	make_ctx(&p, false, true);
	ck_assert(!ts_sampler_sample(&z, &p, id)); /* not always_on */
	make_ctx(&p, true, true);
	ck_assert(ts_sampler_sample(&z, &p, id));
	ts_sampler_describe(&z, d, sizeof(d));
	ck_assert_str_eq(d, "ParentBased{root:AlwaysOnSampler}");
}
END_TEST

/*
 * Acceptance 3, the sampler side: the caller's root decision at ratio 0 is
 * "not sampled", so the context it propagates has flags 00; the callee,
 * parent-based by default, records nothing of those traces either.
 */
START_TEST(ratio_zero_caller_makes_parent_based_callee_record_nothing)
{
	struct ts_sampler caller = configured("parentbased_traceidratio", "0");
	struct ts_sampler callee = configured(NULL, NULL);
	struct ts_span_ctx sent;
	unsigned recorded = 0;

	for (int i = 0; i < 1000; i++) {
		memset(&sent, 0, sizeof(sent));
		ts_ids_trace(sent.trace_id);
		ts_ids_span(sent.span_id);
		sent.flags = ts_sampler_sample(&caller, NULL, sent.trace_id)
				     ? TS_TRACE_FLAG_SAMPLED
				     : 0;
		ck_assert_uint_eq(sent.flags, 0x00); /* traceparent ...-00 */
		sent.remote = true;                   /* as the callee sees it */
		recorded += ts_sampler_sample(&callee, &sent, sent.trace_id);
	}
	ck_assert_uint_eq(recorded, 0);
}
END_TEST

START_TEST(descriptions_follow_the_specification)
{
	static const struct {
		const char *name, *arg, *want;
	} cases[] = {
		{ "always_on", NULL, "AlwaysOnSampler" },
		{ "always_off", NULL, "AlwaysOffSampler" },
		{ "traceidratio", "0.25", "TraceIdRatioBased{0.25}" },
		{ "parentbased_always_on", NULL,
		  "ParentBased{root:AlwaysOnSampler}" },
		{ "parentbased_always_off", NULL,
		  "ParentBased{root:AlwaysOffSampler}" },
		{ "parentbased_traceidratio", "0.0001",
		  "ParentBased{root:TraceIdRatioBased{0.0001}}" },
	};
	char d[128], tiny[8];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_sampler s = configured(cases[i].name, cases[i].arg);

		ts_sampler_describe(&s, d, sizeof(d));
		ck_assert_str_eq(d, cases[i].want);
		ts_sampler_describe(&s, tiny, sizeof(tiny));
		ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
	}
}
END_TEST

/* ---- through ts_config_load() --------------------------------------------- */

START_TEST(config_load_fills_the_sampler_from_the_environment)
{
	struct ts_config c;
	char err[2048];

	unsetenv("OTEL_TRACES_SAMPLER");
	unsetenv("OTEL_TRACES_SAMPLER_ARG");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.sampler.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);

	setenv("OTEL_TRACES_SAMPLER", "traceidratio", 1);
	setenv("OTEL_TRACES_SAMPLER_ARG", "0.25", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.sampler.kind, TS_SAMPLER_TRACEIDRATIO);
	ck_assert(c.sampler.ratio == 0.25);

	/* The argument without a sampler is not used. */
	unsetenv("OTEL_TRACES_SAMPLER");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.sampler.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
	ck_assert(c.sampler.ratio == 1.0);
}
END_TEST

START_TEST(config_load_warns_once_per_bad_sampler_value)
{
	struct ts_config c, def;
	char err[2048];

	setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", 1);
	setenv("OTEL_TRACES_SAMPLER_ARG", "1.5", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	assert_one_warning(err, "OTEL_TRACES_SAMPLER_ARG", "1.5");
	ck_assert_uint_eq(c.sampler.kind, TS_SAMPLER_PARENTBASED_TRACEIDRATIO);
	ck_assert(c.sampler.ratio == 1.0);

	setenv("OTEL_TRACES_SAMPLER", "bogus", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	assert_one_warning(err, "OTEL_TRACES_SAMPLER", "bogus");
	ts_config_defaults(&def);
	ck_assert(!memcmp(&c.sampler, &def.sampler, sizeof(c.sampler)));

	/* Silenced by the log level, still the default. */
	setenv("TRACESHIM_LOG_LEVEL", "error", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.sampler.kind, TS_SAMPLER_PARENTBASED_ALWAYS_ON);
}
END_TEST

Suite *ts_test_sampler_suite(void)
{
	Suite *s = suite_create("sampler");
	TCase *cfg = tcase_create("configure");
	TCase *ratio = tcase_create("ratio");
	TCase *parent = tcase_create("parent");

	tcase_add_test(cfg, unset_sampler_is_parentbased_always_on_silently);
	tcase_add_test(cfg, every_specified_name_is_understood_in_any_case);
	tcase_add_test(cfg, unknown_and_unsupported_names_warn_once_and_default);
	tcase_add_test(cfg, control_bytes_in_a_bad_value_stay_on_one_line);
	tcase_add_test(cfg, ratio_argument_is_parsed_exactly);
	tcase_add_test(cfg, ratio_argument_out_of_range_or_junk_warns_and_uses_one);
	tcase_add_test(cfg, argument_of_samplers_without_one_is_ignored_silently);
	tcase_add_test(cfg, a_locale_with_decimal_comma_does_not_change_the_ratio);
	tcase_add_test(cfg, config_load_fills_the_sampler_from_the_environment);
	tcase_add_test(cfg, config_load_warns_once_per_bad_sampler_value);
	tcase_add_test(ratio, bound_is_the_go_sdks);
	tcase_add_test(ratio, ratio_decision_reads_the_last_eight_bytes_big_endian);
	tcase_add_test(ratio, ratio_quarter_samples_a_quarter_of_20k_random_traces);
	tcase_add_test(ratio, other_ratios_sample_their_share);
	tcase_add_test(ratio, ratio_zero_samples_nothing_and_one_everything);
	tcase_add_test(ratio, same_trace_id_always_gets_the_same_answer);
	tcase_add_test(ratio, higher_ratio_samples_every_trace_a_lower_one_does);
	tcase_add_test(ratio, traceidratio_alone_ignores_the_parent);
	tcase_add_test(parent, always_on_and_always_off_ignore_the_parent);
	tcase_add_test(parent, parent_based_follows_a_valid_parents_flag_remote_or_local);
	tcase_add_test(parent, parent_based_asks_the_root_sampler_for_roots_and_invalid_parents);
	tcase_add_test(parent, deferred_parent_is_decided_by_the_root_sampler);
	tcase_add_test(parent, zeroed_sampler_acts_as_the_default);
	tcase_add_test(parent, ratio_zero_caller_makes_parent_based_callee_record_nothing);
	tcase_add_test(parent, descriptions_follow_the_specification);
	suite_add_tcase(s, cfg);
	suite_add_tcase(s, ratio);
	suite_add_tcase(s, parent);
	return s;
}
