/* Alert webhooks: an HTTP POST through libcurl, loaded at runtime.
 *
 * Linking libcurl (as FoundationNetworking does) costs every argus process ~8 ms
 * of dynamic loading for TLS, Kerberos and LDAP libraries it almost never uses.
 * Webhooks are rare, so libcurl is opened only when the first alert is posted.
 * The few functions and option numbers used are libcurl's stable public ABI. */

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "argus_system.h"

typedef void CURL;
struct curl_slist;

enum {
    OPT_URL = 10002,
    OPT_POSTFIELDS = 10015,
    OPT_USERAGENT = 10018,
    OPT_HTTPHEADER = 10023,
    OPT_WRITEFUNCTION = 20011,
    OPT_WRITEDATA = 10001,
    OPT_NOSIGNAL = 99,
    OPT_POSTFIELDSIZE = 60,
    OPT_TIMEOUT_MS = 155,
    OPT_NOPROXY = 10177,
    INFO_RESPONSE_CODE = 0x200002,
};

static struct {
    int loaded;
    CURL *(*easy_init)(void);
    int (*easy_setopt)(CURL *, int, ...);
    int (*easy_perform)(CURL *);
    int (*easy_getinfo)(CURL *, int, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(int);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    int (*global_init)(long);
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void load_curl(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    curl.easy_init = (CURL * (*)(void)) dlsym(lib, "curl_easy_init");
    curl.easy_setopt = (int (*)(CURL *, int, ...))dlsym(lib, "curl_easy_setopt");
    curl.easy_perform = (int (*)(CURL *))dlsym(lib, "curl_easy_perform");
    curl.easy_getinfo = (int (*)(CURL *, int, ...))dlsym(lib, "curl_easy_getinfo");
    curl.easy_cleanup = (void (*)(CURL *))dlsym(lib, "curl_easy_cleanup");
    curl.easy_strerror = (const char *(*)(int))dlsym(lib, "curl_easy_strerror");
    curl.slist_append = (struct curl_slist * (*)(struct curl_slist *, const char *)) dlsym(lib, "curl_slist_append");
    curl.slist_free_all = (void (*)(struct curl_slist *))dlsym(lib, "curl_slist_free_all");
    curl.global_init = (int (*)(long))dlsym(lib, "curl_global_init");
    if (curl.easy_init && curl.easy_setopt && curl.easy_perform && curl.easy_getinfo && curl.easy_cleanup &&
        curl.easy_strerror && curl.slist_append && curl.slist_free_all && curl.global_init) {
        curl.global_init(3 /* CURL_GLOBAL_ALL */);
        curl.loaded = 1;
    }
}

/* Keeps the first bytes of a response body (an error's explanation), discards the rest. */
struct response_sink {
    char *buffer;
    size_t capacity;
    size_t length;
};

static size_t keep_head(char *data, size_t size, size_t count, void *user) {
    struct response_sink *sink = user;
    size_t total = size * count;
    if (sink && sink->buffer && sink->length + 1 < sink->capacity) {
        size_t room = sink->capacity - 1 - sink->length;
        size_t take = total < room ? total : room;
        memcpy(sink->buffer + sink->length, data, take);
        sink->length += take;
        sink->buffer[sink->length] = 0;
    }
    return total;
}

static int post(const char *url, const char *content_type, const void *body, size_t body_length, const char *const *extra_headers,
                int header_count, long timeout_ms, const char *user_agent, int direct, char *response, int response_size,
                char *error, int error_size) {
    pthread_once(&curl_once, load_curl);
    if (!curl.loaded) {
        snprintf(error, (size_t)error_size, "libcurl is not installed (apt-get install libcurl4)");
        return -1;
    }
    CURL *handle = curl.easy_init();
    if (!handle) {
        snprintf(error, (size_t)error_size, "libcurl could not start a request");
        return -1;
    }
    char content_header[200];
    snprintf(content_header, sizeof content_header, "Content-Type: %s", content_type);
    struct curl_slist *headers = curl.slist_append(NULL, content_header);
    for (int i = 0; i < header_count; i++) headers = curl.slist_append(headers, extra_headers[i]);
    struct response_sink sink = {response, response ? (size_t)response_size : 0, 0};
    if (response && response_size > 0) response[0] = 0;
    curl.easy_setopt(handle, OPT_URL, url);
    curl.easy_setopt(handle, OPT_POSTFIELDS, body);
    curl.easy_setopt(handle, OPT_POSTFIELDSIZE, (long)body_length);
    curl.easy_setopt(handle, OPT_HTTPHEADER, headers);
    curl.easy_setopt(handle, OPT_USERAGENT, user_agent);
    curl.easy_setopt(handle, OPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(handle, OPT_NOSIGNAL, 1L);
    curl.easy_setopt(handle, OPT_WRITEFUNCTION, keep_head);
    curl.easy_setopt(handle, OPT_WRITEDATA, &sink);
    if (direct) curl.easy_setopt(handle, OPT_NOPROXY, "*");
    int rc = curl.easy_perform(handle);
    long status = -1;
    if (rc == 0) {
        curl.easy_getinfo(handle, INFO_RESPONSE_CODE, &status);
    } else {
        snprintf(error, (size_t)error_size, "%s", curl.easy_strerror(rc));
    }
    curl.slist_free_all(headers);
    curl.easy_cleanup(handle);
    return (int)status;
}

static int post_json(const char *url, const char *body, long timeout_ms, const char *user_agent, const char *extra_header,
                     int direct, char *error, int error_size) {
    const char *headers[1] = {extra_header};
    return post(url, "application/json", body, strlen(body), headers, extra_header ? 1 : 0, timeout_ms, user_agent, direct,
                NULL, 0, error, error_size);
}

int argus_http_post(const char *url, const char *content_type, const void *body, size_t body_length,
                    const char *const *extra_headers, int header_count, long timeout_ms, const char *user_agent,
                    char *response, int response_size, char *error, int error_size) {
    return post(url, content_type, body, body_length, extra_headers, header_count, timeout_ms, user_agent, 0, response,
                response_size, error, error_size);
}

int argus_http_post_json(const char *url, const char *body, long timeout_ms, const char *user_agent,
                         const char *extra_header, char *error, int error_size) {
    return post_json(url, body, timeout_ms, user_agent, extra_header, 0, error, error_size);
}

int argus_http_post_json_direct(const char *url, const char *body, long timeout_ms, const char *user_agent,
                                const char *extra_header, char *error, int error_size) {
    return post_json(url, body, timeout_ms, user_agent, extra_header, 1, error, error_size);
}
