/*
 * guard.c - storage for the per-thread reentrancy guard (see guard.h).
 */
#include "guard.h"

TS_TLS unsigned ts_guard_depth;
