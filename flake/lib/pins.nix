# The package catalogue of this stand-in "nixpkgs": the versions a configuration gets unless
# it overrides them (nixpkgs.versions.<name>, programs.<name>.version, ...).
# size is the byte count of share/<name>/payload, so closures have realistic NAR sizes.
{
  release = { version = "24.05"; codeName = "Uakari"; revision = "3f3ac8a4c0d6f0a4ba4fb5e2b4cf0e2a1f0d5a2e"; date = "20240601"; };

  packages = {
    glibc = { version = "2.39-52"; size = 600000; bins = [ "ldd" "locale" ]; };
    bash = { version = "5.2p26"; size = 180000; deps = [ "glibc" ]; };
    coreutils = { version = "9.5"; size = 240000; deps = [ "glibc" ]; bins = [ "ls" "cp" "mv" "cat" ]; };
    ncurses = { version = "6.4"; size = 90000; deps = [ "glibc" ]; bins = [ "tput" ]; };
    pcre2 = { version = "10.43"; size = 60000; deps = [ "glibc" ]; bins = [ "pcre2grep" ]; };
    openssl = { version = "3.0.13"; size = 400000; deps = [ "glibc" ]; };
    zlib = { version = "1.3.1"; size = 20000; deps = [ "glibc" ]; bins = [ ]; };
    util-linux = { version = "2.39.4"; size = 150000; deps = [ "glibc" ]; bins = [ "mount" "lsblk" ]; };
    kmod = { version = "31"; size = 40000; deps = [ "glibc" ]; bins = [ "modprobe" ]; };
    systemd = { version = "255.4"; size = 900000; deps = [ "glibc" "util-linux" "kmod" ]; bins = [ "systemctl" "journalctl" ]; };
    dbus = { version = "1.14.10"; size = 70000; deps = [ "glibc" "systemd" ]; bins = [ "dbus-daemon" ]; };
    shadow = { version = "4.14.6"; size = 50000; deps = [ "glibc" ]; bins = [ "passwd" "useradd" ]; };
    iproute2 = { version = "6.8.0"; size = 80000; deps = [ "glibc" ]; bins = [ "ip" "ss" ]; };
    nix = { version = "2.18.2"; size = 500000; deps = [ "glibc" "openssl" "bash" ]; };
    openssh = { version = "9.6p1"; size = 160000; deps = [ "glibc" "openssl" "zlib" ]; bins = [ "ssh" "sshd" "ssh-keygen" ]; };
    fish = { version = "3.7.0"; size = 220000; deps = [ "ncurses" "pcre2" ]; bins = [ "fish" "fish_indent" ]; };
    git = { version = "2.44.1"; size = 300000; deps = [ "openssl" "zlib" "pcre2" ]; };
    curl = { version = "8.7.1"; size = 60000; deps = [ "openssl" "zlib" ]; };
    htop = { version = "3.3.0"; size = 30000; deps = [ "ncurses" ]; };
    tmux = { version = "3.4"; size = 50000; deps = [ "ncurses" ]; };
    neovim = { version = "0.10.0"; size = 350000; deps = [ "glibc" ]; bins = [ "nvim" ]; };
    ripgrep = { version = "14.1.0"; size = 60000; deps = [ "pcre2" ]; bins = [ "rg" ]; };
    fd = { version = "10.1.0"; size = 40000; deps = [ "glibc" ]; };
    starship = { version = "1.19.0"; size = 90000; deps = [ "glibc" ]; };
    direnv = { version = "2.34.0"; size = 40000; deps = [ "glibc" ]; };
    tailscale = { version = "1.66.4"; size = 300000; deps = [ "iproute2" ]; bins = [ "tailscale" "tailscaled" ]; };
    containerd = { version = "1.7.16"; size = 250000; deps = [ "glibc" ]; };
    docker = { version = "24.0.9"; size = 450000; deps = [ "containerd" "iproute2" ]; bins = [ "docker" "dockerd" ]; };
    podman = { version = "5.0.2"; size = 300000; deps = [ "glibc" ]; };
    networkmanager = { version = "1.46.0"; size = 200000; deps = [ "dbus" ]; bins = [ "nmcli" "NetworkManager" ]; };
    pipewire = { version = "1.0.6"; size = 150000; deps = [ "dbus" ]; bins = [ "pipewire" "pw-cli" ]; };
    firefox = { version = "126.0"; size = 2500000; deps = [ "glibc" "dbus" ]; };
    sops = { version = "3.8.1"; size = 80000; deps = [ "glibc" ]; };
    age = { version = "1.1.1"; size = 30000; deps = [ "glibc" ]; bins = [ "age" "age-keygen" ]; };
    # The kernel is built by linux.nix-like rules in pkgs.nix (bzImage + modules).
    linux = { version = "6.6.30"; size = 2000000; deps = [ ]; bins = [ ]; };
    # Nix-on-Droid's own bits (phones are aarch64-linux).
    termux-tools = { version = "1.42.4"; size = 20000; deps = [ "bash" ]; bins = [ "termux-setup-storage" ]; };
    nix-on-droid = { version = "24.05"; size = 30000; deps = [ "bash" "nix" ]; };
    home-manager = { version = "24.05"; size = 40000; deps = [ "bash" ]; };
  };
}
