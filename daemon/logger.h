/* daemon/logger.h -- being written this session. */
#ifndef CASHEW_DAEMON_LOGGER_H
#define CASHEW_DAEMON_LOGGER_H
#endif
