# A small module system in the spirit of nixpkgs' lib.modules, written with builtins only
# so the homelab evaluates without nixpkgs.
#
# A configuration is a list of modules. A module is a path, an attrset or a function
# { config, lib, pkgs, ... } returning an attrset. The attrset either holds
# `imports`/`options`/`config`, or (shorthand) is the config itself plus `imports`.
# Options are declared with mkOption; every definition of an undeclared option is an
# error, like on NixOS. Definitions merge by priority (mkDefault, mkForce, mkOverride),
# can be conditional (mkIf) and can be combined (mkMerge).
let
  inherit (builtins)
    attrNames concatMap concatStringsSep filter foldl' isAttrs isFunction isList isPath
    isString length mapAttrs typeOf zipAttrsWith all head genericClosure;

  showLoc = loc: concatStringsSep "." loc;
  showFiles = defs: concatStringsSep "" (map (d: "\n       - In `${d.file}'") defs);
  isDerivation = v: isAttrs v && (v.type or null) == "derivation";

  mkOption = args: {
    _type = "option";
    type = args.type or types.anything;
    description = args.description or "";
    hasDefault = args ? default;
    default = args.default or null;
  };
  isOption = v: isAttrs v && (v._type or null) == "option";

  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };

  # Turn possibly wrapped definitions into plain { file, priority, value } entries.
  # Conditions are forced here, at the option that owns them, never earlier.
  unwrap = priority: file: v:
    let kind = if isAttrs v then v._type or null else null; in
    if kind == "merge" then concatMap (unwrap priority file) v.contents
    else if kind == "if" then (if v.condition then unwrap priority file v.content else [ ])
    else if kind == "override" then unwrap v.priority file v.content
    else [ { inherit file priority; value = v; } ];

  # Keep only the definitions with the strongest priority (lowest number), as NixOS does.
  strongest = defs:
    let best = foldl' (m: d: if d.priority < m then d.priority else m) 99999 defs;
    in filter (d: d.priority == best) defs;

  # Merge definitions of one value of the given type (wrappers allowed).
  mergeDefs = type: loc: defs:
    let
      plain = strongest (concatMap (d: unwrap (d.priority or 100) d.file d.value) defs);
      merged = type.merge loc plain;
    in
    if plain == [ ] then throw "The option `${showLoc loc}' is used but not defined."
    else if type.check merged then merged
    else throw "The option `${showLoc loc}' is not of type `${type.description}'. Definition values:${showFiles plain}";

  mergeEqual = loc: defs:
    let first = head defs; in
    if length defs == 1 || all (d: d.value == first.value) defs then first.value
    else throw "The option `${showLoc loc}' has conflicting definition values:${showFiles defs}";

  # Per-key merge of attrsets; the keys of every definition take part.
  mergeAttrs = elemType: loc: defs:
    zipAttrsWith (k: vs: mergeDefs elemType (loc ++ [ k ]) vs)
      (map (d: mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) defs);

  types = rec {
    anything = {
      description = "anything";
      check = _: true;
      merge = loc: defs:
        if all (d: isAttrs d.value && !isDerivation d.value) defs then mergeAttrs anything loc defs
        else if all (d: isList d.value) defs then concatMap (d: d.value) defs
        else mergeEqual loc defs;
    };
    simple = description: check: { inherit description check; merge = mergeEqual; };
    str = simple "string" isString;
    bool = simple "boolean" builtins.isBool;
    int = simple "signed integer" builtins.isInt;
    path = simple "path" (v: isPath v || isString v);
    package = simple "package" isDerivation;
    lines = {
      description = "strings concatenated with \"\\n\"";
      check = isString;
      merge = _loc: defs: concatStringsSep "\n" (map (d: d.value) defs);
    };
    enum = values: simple "one of ${concatStringsSep ", " (map builtins.toJSON values)}"
      (v: builtins.elem v values);
    nullOr = t: {
      description = "null or ${t.description}";
      check = v: v == null || t.check v;
      merge = loc: defs:
        let set = filter (d: d.value != null) defs;
        in if set == [ ] then null else t.merge loc set;
    };
    listOf = t: {
      description = "list of ${t.description}";
      check = v: isList v && all t.check v;
      merge = _loc: defs: concatMap (d: d.value) defs;
    };
    attrsOf = t: {
      description = "attribute set of ${t.description}";
      check = v: isAttrs v && all t.check (builtins.attrValues v);
      merge = mergeAttrs t;
    };
    # A list of modules, evaluated later by whoever owns them (home-manager.users.<name>).
    modules = {
      description = "list of modules";
      check = isList;
      merge = _loc: defs: concatMap (d: map (m: { _file = d.file; imports = [ m ]; }) (if isList d.value then d.value else [ d.value ])) defs;
    };
  };

  # Push wrappers of an inner (non-option) node down to its children, so the set of
  # keys is known without forcing any condition (what makes `mkIf config.x {...}` work).
  pushDown = v:
    let kind = if isAttrs v then v._type or null else null; in
    if kind == "merge" then concatMap pushDown v.contents
    else if kind == "if" then map (mapAttrs (_: c: mkIf v.condition c)) (pushDown v.content)
    else if kind == "override" then map (mapAttrs (_: c: mkOverride v.priority c)) (pushDown v.content)
    else if isAttrs v then [ v ]
    else throw "a definition that should be an attribute set is a ${typeOf v}";

  # Evaluate a node of the option tree against the definitions made for it.
  evalNode = loc: decls: defs:
    let
      pushed = concatMap (d: map (value: { inherit (d) file; inherit value; }) (pushDown d.value)) defs;
      defsFor = k: concatMap (d: if d.value ? ${k} then [ { inherit (d) file; value = d.value.${k}; } ] else [ ]) pushed;
      unknown = concatMap (d: map (k: { inherit k; inherit (d) file; }) (filter (k: !(decls ? ${k})) (attrNames d.value))) pushed;
      check =
        if unknown == [ ] then true
        else let u = head unknown; in
          throw "The option `${showLoc (loc ++ [ u.k ])}' does not exist. Definition values:\n       - In `${u.file}'";
      evalChild = k: decl:
        if isOption decl then
          let
            fromDefault = if decl.hasDefault then [ { file = "the option's default"; priority = 1500; value = decl.default; } ] else [ ];
          in mergeDefs decl.type (loc ++ [ k ]) (defsFor k ++ fromDefault)
        else evalNode (loc ++ [ k ]) decl (defsFor k);
    in
    builtins.seq check (mapAttrs evalChild decls);

  # Declarations from every module, merged into one tree; a leaf declared twice is an error.
  mergeDecls = loc: a: b:
    a // mapAttrs (k: v:
      if !(a ? ${k}) then v
      else if isOption v || isOption a.${k} then throw "The option `${showLoc (loc ++ [ k ])}' is declared more than once."
      else mergeDecls (loc ++ [ k ]) a.${k} v) b;

  loadModule = args: file: m:
    if isPath m || isString m then
      # Errors name the file, as NixOS does: <dir>/default.nix for a directory module.
      let dirDefault = toString m + "/default.nix"; in
      loadModule args (if builtins.pathExists dirDefault then dirDefault else toString m) (import m)
    else
      let
        value = if isFunction m then m args else m;
        full = value ? config || value ? options;
      in {
        file = value._file or file;
        imports = value.imports or [ ];
        options = value.options or { };
        config = if full then value.config or { } else removeAttrs value [ "imports" "_file" "key" ];
      };

  /* Evaluate a list of modules into { config, options }.
     specialArgs are passed to every module function next to config, options and lib. */
  evalModules = { modules, specialArgs ? { } }:
    let
      args = specialArgs // { inherit config options; lib = specialArgs.lib or lib; };
      item = parentKey: i: m: {
        # Paths are deduplicated like NixOS does; anonymous modules are keyed by position.
        key = if isPath m || isString m then toString m else "${parentKey}:anon-${toString i}";
        module = loadModule args parentKey m;
      };
      indexed = f: list: builtins.genList (i: f i (builtins.elemAt list i)) (length list);
      all' = genericClosure {
        startSet = indexed (item "<configuration>") modules;
        operator = it: indexed (item it.key) it.module.imports;
      };
      loaded = map (it: it.module) all';
      options = foldl' (mergeDecls [ ]) { } (map (m: m.options) loaded);
      config = evalNode [ ] options (map (m: { inherit (m) file; value = m.config; }) loaded);
    in { inherit config options; };

  lib = {
    inherit mkOption mkOverride mkIf mkMerge types evalModules isDerivation;
    getPath = set: path: foldl' (s: k: s.${k}) set path;
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    mkEnableOption = name: mkOption { type = types.bool; default = false; description = "Whether to enable ${name}."; };
  };
in
lib
