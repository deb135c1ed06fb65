/* daemon/hotkeys.c -- being written this session. */
#include "daemon/hotkeys.h"
