#ifndef LOKET_CMICROHTTPD_H
#define LOKET_CMICROHTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// MHD_OPTION_URI_LOG_CALLBACK's callback: sees the raw request target before libmicrohttpd decodes `%00` into a
/// NUL that would cut the path short; what it returns becomes the request's context.
typedef void *(*LoketURILogCallback)(void *cls, const char *uri, struct MHD_Connection *connection);

/// Starts a libmicrohttpd daemon with the options Loket uses.
/// Why a shim: MHD_start_daemon is variadic, and Swift cannot call C variadic functions.
struct MHD_Daemon *loket_mhd_start(unsigned int flags,
                                   const struct sockaddr *address,
                                   MHD_AccessHandlerCallback handler, void *handler_cls,
                                   MHD_RequestCompletedCallback completed, void *completed_cls,
                                   unsigned int thread_pool_size,
                                   unsigned int connection_limit,
                                   size_t connection_memory_limit,
                                   unsigned int connection_timeout_seconds,
                                   unsigned int connections_per_address,
                                   LoketURILogCallback uri_log, void *uri_log_cls,
                                   unsigned int first_request_timeout_seconds);

/// The port the daemon is bound to (useful when started on port 0).
uint16_t loket_mhd_bound_port(struct MHD_Daemon *daemon);

/// The client address of a connection as text ("127.0.0.1", "::1"), written into `buffer`.
int loket_mhd_client_address(struct MHD_Connection *connection, char *buffer, size_t size);

/// Gives one connection this inactivity timeout unless it already has it (MHD_set_connection_option is variadic).
void loket_mhd_use_timeout(struct MHD_Connection *connection, unsigned int seconds);

/// MHD_CONTENT_READER_END_OF_STREAM is a macro Swift cannot import.
static inline ssize_t loket_mhd_end_of_stream(void) { return MHD_CONTENT_READER_END_OF_STREAM; }
static inline ssize_t loket_mhd_end_with_error(void) { return MHD_CONTENT_READER_END_WITH_ERROR; }

#endif
