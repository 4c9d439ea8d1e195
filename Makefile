# multiperform: the README's two commands, and housekeeping.
.PHONY: all demo test bench fuzz clean install uninstall cli cli-static

all: demo

demo:
	@bash examples/demo.sh

test:
	@bash tests/run.sh

clean:
	rm -rf build mperf

# The command-line tool: ./mperf linked with the system's BearSSL (http only:
# make cli CLI_TLS=0), and its manual page mperf.1 from the same option table.
CLI_TLS ?= 1
cli:
	$(CC) -std=c99 -O2 $(if $(filter 0,$(CLI_TLS)),-DMPERF_NO_TLS,) -o mperf mperf.c $(if $(filter 0,$(CLI_TLS)),,-lbearssl)
	@mkdir -p build
	$(CC) -std=c99 -DMPERF_CLI_MAN -o build/mperf-man mperf.c && build/mperf-man >mperf.1

# One static binary (musl, BearSSL from source): build/cli/mperf
cli-static:
	@bash tools/cli-static.sh

# Speed, memory and size against libcurl, in one run (not part of make test).
bench:
	@bash bench/run.sh

# Fuzz every target for FUZZ_SECONDS each (not part of make test).
fuzz:
	@bash tests/fuzz/run.sh

# The header, libcurl's names, pkg-config files (multiperform, and
# multiperform-notls for http only) and a CMake package under PREFIX.
PREFIX ?= /usr/local
install:
	install -d $(DESTDIR)$(PREFIX)/include/multiperform/compat/curl $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/lib/cmake/multiperform
	install -m 644 multiperform.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 compat/curl/*.h $(DESTDIR)$(PREFIX)/include/multiperform/compat/curl/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@TLSFLAGS@||' -e 's|@TLSLIBS@|-lbearssl|' cmake/multiperform.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/multiperform.pc
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@TLSFLAGS@|-DMPERF_NO_TLS|' -e 's|@TLSLIBS@||' cmake/multiperform.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/multiperform-notls.pc
	install -m 644 cmake/multiperformConfig.cmake cmake/multiperformConfigVersion.cmake \
		$(DESTDIR)$(PREFIX)/lib/cmake/multiperform/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/multiperform.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/multiperform.pc \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/multiperform-notls.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/multiperform $(DESTDIR)$(PREFIX)/lib/cmake/multiperform
