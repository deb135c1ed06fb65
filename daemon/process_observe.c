/* daemon/process_observe.c -- being written this session. */
#include "daemon/process_observe.h"
