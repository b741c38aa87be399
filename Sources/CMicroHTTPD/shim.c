#include "CMicroHTTPD.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

void loket_mhd_use_timeout(struct MHD_Connection *connection, unsigned int seconds) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_TIMEOUT);
    if (info && info->connection_timeout == seconds) return;
    MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/* A new connection starts with the short first-request timeout (libmicrohttpd keeps connections with their own
   timeout on a separate list it scans on every loop, so only connections that have not sent a request yet are
   there; the first request moves them back to the daemon's idle timeout). */
static void loket_connection_started(void *cls, struct MHD_Connection *connection, void **socket_context,
                                     enum MHD_ConnectionNotificationCode code) {
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)(uintptr_t)cls);
}

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
                                   unsigned int first_request_timeout_seconds) {
    uint16_t port = 0;
    if (address->sa_family == AF_INET) port = ntohs(((const struct sockaddr_in *)address)->sin_port);
    else if (address->sa_family == AF_INET6) port = ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, connections_per_address,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, uri_log_cls,
                            MHD_OPTION_NOTIFY_CONNECTION, loket_connection_started, (void *)(uintptr_t)first_request_timeout_seconds,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
                            MHD_OPTION_END);
}

uint16_t loket_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

int loket_mhd_client_address(struct MHD_Connection *connection, char *buffer, size_t size) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr) { buffer[0] = 0; return -1; }
    const struct sockaddr *sa = info->client_addr;
    const char *r = NULL;
    if (sa->sa_family == AF_INET) r = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buffer, (socklen_t)size);
    else if (sa->sa_family == AF_INET6) r = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buffer, (socklen_t)size);
    if (!r) { buffer[0] = 0; return -1; }
    return 0;
}

