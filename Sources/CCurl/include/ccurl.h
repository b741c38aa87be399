#ifndef LOKET_CCURL_H
#define LOKET_CCURL_H

#include <stddef.h>

/// One SMTP submission with libcurl (curl_easy_setopt is variadic, which Swift cannot call).
/// `tls`: 0 none (or implicit TLS for smtps://), 1 STARTTLS if offered, 2 STARTTLS required.
/// Returns the CURLcode; `response_code` gets the server's last reply code (0 when none),
/// `error` (at least 256 bytes) libcurl's message.
int loket_smtp_send(const char *url, const char *from, const char *const *recipients, size_t recipient_count,
                    const unsigned char *message, size_t length, int tls, long timeout_seconds,
                    long *response_code, char *error, size_t error_size);

/// Code values the Swift side distinguishes (so it needs no curl header of its own).
enum {
    LOKET_CURLE_OK = 0,
    LOKET_CURLE_COULDNT_RESOLVE_HOST = 6,
    LOKET_CURLE_COULDNT_CONNECT = 7,
    LOKET_CURLE_OPERATION_TIMEDOUT = 28,
    LOKET_CURLE_SSL_CONNECT_ERROR = 35,
    LOKET_CURLE_PEER_FAILED_VERIFICATION = 60,
    LOKET_CURLE_USE_SSL_FAILED = 64,
    LOKET_CURLE_LOGIN_DENIED = 67,
};

#endif
