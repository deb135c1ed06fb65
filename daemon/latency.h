/* daemon/latency.h -- being written this session. */
#ifndef CASHEW_DAEMON_LATENCY_H
#define CASHEW_DAEMON_LATENCY_H
#endif
