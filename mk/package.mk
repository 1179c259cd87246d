# The Debian package (debian/) and its test; make install itself is mk/install.mk.
#   make deb            build/deb/smtpscope_VERSION_ARCH.deb, built from a copy of the tree
#                       (the tree is left as it was); installs the build dependencies first
#   make package-test   tests/package.sh: make install/uninstall into staging roots, the
#                       completion, then as root the package built, lintian, installed with
#                       apt, run, purged. Run by `make test` (TEST_EXTRA); about 2 minutes
.PHONY: deb package-test

deb:
	@tools/install-deps.sh package
	tools/build-deb.sh build/deb

package-test: deps build/smtpscope
	tests/package.sh build/smtpscope

TEST_EXTRA += package-test
