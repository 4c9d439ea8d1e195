# multiperform: the README's two commands, and housekeeping.
.PHONY: all demo test clean

all: demo

demo:
	@bash examples/demo.sh

test:
	@bash tests/run.sh

clean:
	rm -rf build
