/*
 * config_internal.h - the environment parsers of config.c, shared with
 * config_export.c (the exporter settings).  Same contracts as there: an
 * empty variable counts as unset; a bad value gets one warning and
 * leaves the field unchanged; the return value counts the warnings.
 *
 * Threads: the initialising thread only.
 */
#ifndef TS_CONFIG_INTERNAL_H
#define TS_CONFIG_INTERNAL_H

#include "common.h"

/* getenv with surrounding blanks trimmed into `buf`; NULL when unset/empty. */
const char *ts_config_env(const char *name, char *buf, size_t size);

/* Strict decimal in [min, max] into *field. */
int ts_config_load_uint(const char *name, unsigned min, unsigned max,
			unsigned *field);

/* The raw value into field (size bytes with the NUL); too long: ignored. */
int ts_config_load_string(const char *name, char *field, size_t size);

#endif /* TS_CONFIG_INTERNAL_H */
