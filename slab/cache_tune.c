/* slab/cache_tune.c -- being written this session. */
#include "slab/cache.h"
