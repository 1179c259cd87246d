# make install / make uninstall, with the GNU names: PREFIX (default /usr/local), DESTDIR
# (a staging root, as a package build uses), BINDIR, MANDIR, DOCDIR, BASHCOMPDIR. Installed:
#   $(BINDIR)/smtpscope                                the normal build (no sanitizers), not
#                                                      stripped: a package strips it itself
#   $(MAN1DIR)/smtpscope.1                             plain; Debian's dh_compress gzips it
#   $(BASHCOMPDIR)/smtpscope                           contrib/smtpscope.bash-completion
#   $(DOCDIR)/examples/smtpscope.service               contrib/smtpscope.service, ExecStart
#                                                      pointing at $(BINDIR)
# The unit is an example, not a unit systemd would find: it captures on eth0, a choice only
# the admin can make, and runs as a user smtpscope that nothing here creates; its header
# says how to put it in /etc/systemd/system. `make uninstall` (same PREFIX and DESTDIR)
# removes exactly these files, and the examples and doc directories when they are empty.
#   make install                               into /usr/local (root)
#   make install DESTDIR=/tmp/stage PREFIX=/usr
.PHONY: install uninstall

PREFIX      ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
BINDIR      ?= $(EXEC_PREFIX)/bin
DATAROOTDIR ?= $(PREFIX)/share
MANDIR      ?= $(DATAROOTDIR)/man
MAN1DIR     ?= $(MANDIR)/man1
DOCDIR      ?= $(DATAROOTDIR)/doc/smtpscope
# bash-completion looks in $XDG_DATA_DIRS/bash-completion/completions (/usr/local/share
# and /usr/share by default), loading a command's file the first time it is completed.
BASHCOMPDIR ?= $(DATAROOTDIR)/bash-completion/completions
INSTALL     ?= install

# The unit names /usr/local/bin/smtpscope; the installed copy names $(BINDIR)'s binary.
UNIT_EXEC_FROM := ExecStart=/usr/local/bin/smtpscope
UNIT_EXEC_TO   := ExecStart=$(BINDIR)/smtpscope

install: build/smtpscope
	@# A unit whose ExecStart line changed would keep a wrong path: refuse it, before
	@# anything is installed.
	@grep -q '^$(UNIT_EXEC_FROM) ' contrib/smtpscope.service || { echo "install: \
	contrib/smtpscope.service has no '$(UNIT_EXEC_FROM) ...' line to point at $(BINDIR)" >&2; \
	exit 1; }
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 build/smtpscope $(DESTDIR)$(BINDIR)/smtpscope
	$(INSTALL) -m 0644 smtpscope.1 $(DESTDIR)$(MAN1DIR)/smtpscope.1
	$(INSTALL) -m 0644 contrib/smtpscope.bash-completion $(DESTDIR)$(BASHCOMPDIR)/smtpscope
	sed 's|^$(UNIT_EXEC_FROM) |$(UNIT_EXEC_TO) |' contrib/smtpscope.service \
		>$(DESTDIR)$(DOCDIR)/examples/smtpscope.service.tmp
	chmod 0644 $(DESTDIR)$(DOCDIR)/examples/smtpscope.service.tmp
	mv $(DESTDIR)$(DOCDIR)/examples/smtpscope.service.tmp \
		$(DESTDIR)$(DOCDIR)/examples/smtpscope.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/smtpscope $(DESTDIR)$(MAN1DIR)/smtpscope.1 \
		$(DESTDIR)$(BASHCOMPDIR)/smtpscope $(DESTDIR)$(DOCDIR)/examples/smtpscope.service
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
