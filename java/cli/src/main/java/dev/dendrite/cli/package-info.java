/**
 * The {@code dendrite} command (artifact {@code dendrite-cli}): {@code train}, {@code evaluate}, {@code predict},
 * {@code compare} and {@code info}. Its classes are <b>internal</b>: the command line is the interface, and
 * {@code java -jar dendrite-cli.jar --help} documents it.
 */
package dev.dendrite.cli;
