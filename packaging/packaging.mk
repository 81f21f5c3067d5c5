# packaging.mk - release tarball, SBOM and packages (included by Makefile).
#
#   make dist       $(BUILD)/dist/rpvault-VERSION.tar.gz (reproducible),
#                   .tar.gz.sha256 and rpvault-VERSION.spdx.json (SPDX 2.3)
#   make deb        $(BUILD)/pkg/rpvault_VERSION-REV_ARCH.deb, built from
#                   that tarball with packaging/deb/debian
#   make rpm        $(BUILD)/pkg/rpvault-VERSION-REV.ARCH.rpm and .src.rpm,
#                   built from that tarball with packaging/rpm/rpvault.spec
#   make packages   all three, plus $(BUILD)/pkg/SHA256SUMS
#
# Variables: SOURCE_DATE_EPOCH (default: last commit time) fixes the
# tarball's mtimes; DEB_REVISION_SUFFIX adds a local changelog entry (tests);
# RPM_BEARSSL_DIR=DIR links BearSSL statically from DIR/lib/libbearssl.a and
# DIR/inc (hosts without a BearSSL package, docs/packaging.md).
# Everything runs offline; see docs/packaging.md.
# Security posture: these targets read the work tree and write only under
# $(BUILD); package builds happen in temporary directories.

PKG_DIST_DIR := $(BUILD)/dist
PKG_OUT_DIR  := $(BUILD)/pkg
PKG_TARBALL  := $(PKG_DIST_DIR)/rpvault-$(VERSION).tar.gz
DEB_REVISION_SUFFIX ?=
RPM_BEARSSL_DIR ?=

.PHONY: dist deb rpm packages

dist:
	@RP_CC='$(CC)' RP_LIBS='$(LIBS)' sh packaging/dist.sh '$(PKG_DIST_DIR)' '$(VERSION)'

deb: dist
	@sh packaging/build-deb.sh '$(PKG_TARBALL)' '$(PKG_OUT_DIR)' '$(DEB_REVISION_SUFFIX)'

rpm: dist
	@RPM_BEARSSL_DIR='$(RPM_BEARSSL_DIR)' sh packaging/build-rpm.sh '$(PKG_TARBALL)' '$(PKG_OUT_DIR)'

packages: deb rpm
	@cd '$(PKG_OUT_DIR)' && rm -f SHA256SUMS && \
		sha256sum *.deb *.rpm > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS && \
		echo "packages: $(PKG_OUT_DIR)/SHA256SUMS" && cat SHA256SUMS
