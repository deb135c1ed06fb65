/* daemon/latency.c -- being written this session. */
#include "daemon/latency.h"
