// Command sstaudit audits server-side marketing tracking streamed through
// Kafka (SPEC.md). 'sstaudit --help' lists the commands; 'sstaudit <command>
// --help' their flags.
//
// # How the binary is put together
//
// main turns SIGINT/SIGTERM into context cancellation and is the only place
// that exits. run dispatches to a command; every command goes through the
// same steps in command.execute:
//
//  1. a fresh config with its defaults (NewDefault…Config in configs.go)
//     binds its fields to flags;
//  2. resolveFlags (config.go) parses the command line, then fills every
//     flag not given there from SSTAUDIT_<FLAG>, else from the --config YAML
//     file (SSTAUDIT_CONFIG), else keeps the default;
//  3. Validate reports every problem at once;
//  4. the logger is built from --log-level/--log-format (package telemetry);
//  5. the body runs: func(ctx, *Env, XConfig) error, in cmd_<name>.go.
//
// Errors from steps 1–3, and any error wrapped in a usageError, exit with
// status 2 and one line on stderr; any other error from a body exits 1.
//
// # Writing a command body
//
// A body gets a resolved, valid config and an Env with the streams, the
// logger, the environment and the config file's raw 'policy:' section, which
// Env.DecodePolicy decodes strictly. It returns nil on success, including a
// clean shutdown after ctx is cancelled. Each body lives in cmd_<name>.go;
// flags are added in configs.go, with help text stating the unit and the
// default.
package main
