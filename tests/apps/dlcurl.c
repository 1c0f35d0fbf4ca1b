/*
 * dlcurl - a program that does not link libcurl but loads it at run time.
 *
 * usage: dlcurl global|local URL
 * First prints "libcurl mapped: yes|no" (from /proc/self/maps, before it
 * loads anything), then dlopens libcurl.so.4 and performs one GET of URL:
 *   global: RTLD_GLOBAL, functions looked up in the global scope
 *           (dlsym(RTLD_DEFAULT)), as a plugin host or an interpreter
 *           that exports what it loads does;
 *   local:  RTLD_LOCAL, functions looked up in libcurl's own handle.
 * Prints "status N result R".  Nothing of traceshim is linked in.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int mapped(const char *what)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return sz * n;
}

int main(int argc, char **argv)
{
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
	int global;
	void *lib, *scope;
	long code = 0;
	CURLcode r;
	CURL *h;

	if (argc < 3)
		return 2;
	global = !strcmp(argv[1], "global");
	printf("libcurl mapped: %s\n", mapped("libcurl") ? "yes" : "no");
	fflush(stdout);
	lib = dlopen("libcurl.so.4", RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	scope = global ? RTLD_DEFAULT : lib;
	*(void **)&init = dlsym(scope, "curl_easy_init");
	*(void **)&setopt = dlsym(scope, "curl_easy_setopt");
	*(void **)&perform = dlsym(scope, "curl_easy_perform");
	*(void **)&getinfo = dlsym(scope, "curl_easy_getinfo");
	*(void **)&cleanup = dlsym(scope, "curl_easy_cleanup");
	if (!init || !setopt || !perform || !getinfo || !cleanup)
		return 1;
	h = init();
	setopt(h, CURLOPT_URL, argv[2]);
	setopt(h, CURLOPT_WRITEFUNCTION, sink);
	r = perform(h);
	getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	cleanup(h);
	printf("status %ld result %d\n", code, (int)r);
	return r != CURLE_OK;
}
