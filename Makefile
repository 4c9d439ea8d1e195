# multiperform: the README's two commands, and housekeeping.
.PHONY: all demo test bench clean

all: demo

demo:
	@bash examples/demo.sh

test:
	@bash tests/run.sh

clean:
	rm -rf build

# Speed, memory and size against libcurl, in one run (not part of make test).
bench:
	@bash bench/run.sh
