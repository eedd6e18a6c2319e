// labour: robustness benchmark for Python WSGI servers.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return labour::cli::main(argc, argv); }
