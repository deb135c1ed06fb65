/* daemon/logger.c -- being written this session. */
#include "daemon/logger.h"
