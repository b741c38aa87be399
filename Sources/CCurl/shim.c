#include "ccurl.h"
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct upload { const unsigned char *data; size_t length; size_t offset; };

static size_t read_message(char *buffer, size_t size, size_t count, void *userdata) {
    struct upload *u = userdata;
    size_t room = size * count, left = u->length - u->offset;
    size_t n = left < room ? left : room;
    memcpy(buffer, u->data + u->offset, n);
    u->offset += n;
    return n;
}

int loket_smtp_send(const char *url, const char *from, const char *const *recipients, size_t recipient_count,
                    const unsigned char *message, size_t length, int tls, long timeout_seconds,
                    long *response_code, char *error, size_t error_size) {
    pthread_once(&global_once, global_init);
    *response_code = 0;
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = 0;
    CURL *curl = curl_easy_init();
    if (!curl) {
        strncpy(error, "libcurl could not start a transfer", error_size - 1);
        error[error_size - 1] = 0;
        return CURLE_FAILED_INIT;
    }
    struct curl_slist *rcpt = NULL;
    for (size_t i = 0; i < recipient_count; i++) rcpt = curl_slist_append(rcpt, recipients[i]);
    struct upload u = { message, length, 0 };
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, &u);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
    /* Threads without signal handlers: no SIGALRM-based resolver timeouts. */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_seconds < 10 ? timeout_seconds : 10L);
    if (tls == 1) curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (tls == 2) curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    *response_code = code;
    const char *text = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    strncpy(error, text, error_size - 1);
    error[error_size - 1] = 0;
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    return (int)rc;
}
