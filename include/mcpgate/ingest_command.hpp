// `mcpgate ingest PATH... --source NAME [--url-base URL] [--data PATH]`: the command-line face of
// knowledge::Ingester. Prints warnings and a progress line on stderr and a summary on stdout.
#pragma once

namespace mcpgate::knowledge {

// argv[0] is the program, argv[1] "ingest". Returns the exit code: 0 done, 1 a runtime error
// (message on stderr), 2 a usage error.
int run_ingest_command(int argc, char** argv);

}  // namespace mcpgate::knowledge
