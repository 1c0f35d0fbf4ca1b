/*
 * json.h - a small, strict JSON (RFC 8259) parser for the traceshim
 * command's span reader.
 *
 * ts_json_parse() builds a read-only tree in an arena: every node,
 * string and array lives in the arena and is freed with it at once.
 * Strings are decoded (escapes, \u surrogate pairs to UTF-8) and
 * NUL-terminated, with their length kept since "\u0000" may occur.
 * Numbers keep their text, so 64-bit integers survive exactly.
 *
 * Rejected, with a message naming the byte offset: anything RFC 8259
 * does not allow (trailing commas, single quotes, comments, leading
 * zeros, control characters in strings, lone surrogates, invalid UTF-8,
 * text after the value), and nesting deeper than TS_JSON_MAX_DEPTH.
 *
 * Threads: one arena per thread; no global state.
 */
#ifndef TS_CLI_JSON_H
#define TS_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_JSON_MAX_DEPTH 128

enum ts_json_type {
	TS_JSON_NULL,
	TS_JSON_FALSE,
	TS_JSON_TRUE,
	TS_JSON_NUMBER,
	TS_JSON_STRING,
	TS_JSON_ARRAY,
	TS_JSON_OBJECT,
};

struct ts_json {
	enum ts_json_type type;
	size_t n;                /* string bytes; array/object members */
	const char *str;         /* string: decoded, NUL-terminated;
				    number: its literal text */
	struct ts_json *items;   /* array elements / object values */
	const char **keys;       /* object keys (decoded, NUL-terminated) */
};

struct ts_json_block;

/* Owner of every node of the trees parsed with it. */
struct ts_json_arena {
	struct ts_json_block *head; /* newest block first */
};

/*
 * Parse text[0..len) as one JSON value (surrounding white space allowed).
 * Returns the root, or NULL with a one-line reason in err (size > 0).
 */
const struct ts_json *ts_json_parse(struct ts_json_arena *a, const char *text,
				    size_t len, char *err, size_t errsize);

/* Free every tree parsed into the arena; the arena can be reused. */
void ts_json_arena_free(struct ts_json_arena *a);

/* The member `key` of an object; NULL when absent or v is not an object. */
const struct ts_json *ts_json_get(const struct ts_json *v, const char *key);

/* A string's text; NULL when v is not a string. */
const char *ts_json_string(const struct ts_json *v);

/*
 * An unsigned 64-bit integer from a number or a decimal string (the
 * protobuf JSON mapping writes 64-bit integers as strings).  False for
 * anything else, fractions, negatives and overflow.
 */
bool ts_json_u64(const struct ts_json *v, uint64_t *out);

/* A signed 64-bit integer, same rules. */
bool ts_json_i64(const struct ts_json *v, int64_t *out);

/* A number (or numeric string) as a double. */
bool ts_json_double(const struct ts_json *v, double *out);

#endif /* TS_CLI_JSON_H */
