// Package config reads a cluster's configuration file (config.toml, SPEC
// §3): the cluster's name and cookie, the default limits of every process,
// and the nodes, each with its listen address, boot script, permissions
// and the nodes it joins.
//
// Load refuses a bad file before anything starts: every problem it finds
// (a syntax error, an unknown key, a value of the wrong type, a duplicate
// node name or port, a boot file that does not exist, no cookie) is an
// *Error naming the file and line, and Load returns them all, joined.
// Paths in the file (cookie_file, boot, allow_read, allow_write) are
// relative to the folder of the file.
package config
