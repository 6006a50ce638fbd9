/**
 * Android's system tools in the phone EMULATION: getprop, pm, am, input, dumpsys, uiautomator,
 * run-as, monkey, wm. Inside the phone they are small scripts in /system/bin that hand their
 * argv to the emulator over a unix socket; their answers mimic a real phone's output.
 */
import type { Terminal } from './terminal.js';
import { APP_ID } from './sandbox.js';

export const LAUNCHER = 'com.google.android.apps.nexuslauncher';
export const APP_ACTIVITY = `${APP_ID}/com.termux.app.TermuxActivity`;
const LAUNCHER_ACTIVITY = `${LAUNCHER}/.NexusLauncherActivity`;

export const SYSTEM_PACKAGES: readonly string[] = [
  'android', 'com.android.settings', 'com.android.systemui', 'com.android.shell', 'com.android.phone',
  'com.android.providers.settings', 'com.android.vending', 'com.google.android.gms', LAUNCHER,
  'com.android.chrome', 'com.google.android.inputmethod.latin', 'com.android.documentsui',
];

export interface ToolResult {
  readonly stdout: string;
  readonly stderr?: string;
  readonly code?: number;
}

/** What the tools need from the phone. */
export interface AndroidSystem {
  readonly props: Readonly<Record<string, string>>;
  readonly terminal: Terminal;
  foreground: string;
  isInstalled(): boolean;
  /** Reads a file by its path inside the phone (symlinks resolved inside the phone). */
  readPhoneFile(path: string): Promise<Buffer>;
  install(apk: Buffer): Promise<void>;
  uninstall(): Promise<void>;
  /** pm clear: the app's data goes, the app stays (first-run bootstrap pending again). */
  clearData(): Promise<void>;
  writeSdcardFile(name: string, content: string): Promise<void>;
}

function packages(system: AndroidSystem): string[] {
  return [...SYSTEM_PACKAGES, ...(system.isInstalled() ? [APP_ID] : [])];
}

function getprop(system: AndroidSystem, args: readonly string[]): ToolResult {
  const [key, fallback] = args;
  if (key !== undefined) return { stdout: `${system.props[key] ?? fallback ?? ''}\n` };
  const lines = Object.keys(system.props).sort().map((k) => `[${k}]: [${system.props[k]}]`);
  return { stdout: `${lines.join('\n')}\n` };
}

async function pm(system: AndroidSystem, args: readonly string[]): Promise<ToolResult> {
  const [verb, ...rest] = args;
  const plain = rest.filter((a) => !a.startsWith('-'));
  switch (verb) {
    case 'list': {
      if (plain[0] === 'features') return { stdout: 'feature:android.hardware.usb.accessory\nfeature:android.software.webview\nreqGlEsVersion=0x30002\n' };
      if (plain[0] !== 'packages') return { stdout: '', stderr: `Error: unknown list type '${plain[0] ?? ''}'\n`, code: 255 };
      const filter = plain[1] ?? '';
      const showPath = rest.includes('-f');
      const third = rest.includes('-3');
      const names = packages(system).filter((p) => p.includes(filter) && (!third || p === APP_ID));
      return { stdout: names.map((p) => (showPath ? `package:/data/app/${p}-1/base.apk=${p}` : `package:${p}`)).join('\n') + (names.length ? '\n' : '') };
    }
    case 'path': {
      const name = plain[0] ?? '';
      if (!packages(system).includes(name)) return { stdout: '', code: 1 };
      return { stdout: `package:/data/app/${name}-1/base.apk\n` };
    }
    case 'install': {
      const path = plain[plain.length - 1];
      if (!path) return { stdout: '', stderr: 'Error: no package specified\n', code: 1 };
      let apk: Buffer;
      try { apk = await system.readPhoneFile(path); } catch {
        return { stdout: `Failure [INSTALL_FAILED_INVALID_URI: Invalid URI: ${path}]\n`, code: 1 };
      }
      if (apk.subarray(0, 4).toString('latin1') !== 'PK\u0003\u0004') {
        return { stdout: `Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed parse during installPackageLI: Failed to parse ${path}]\n`, code: 1 };
      }
      const utf16 = Buffer.from(APP_ID, 'utf16le');
      if (!apk.includes(utf16) && !apk.includes(Buffer.from(APP_ID))) {
        return { stdout: 'Failure [INSTALL_FAILED_INVALID_APK: the phone emulation only installs com.termux.nix]\n', code: 1 };
      }
      await system.install(apk);
      return { stdout: 'Success\n' };
    }
    case 'clear': {
      const name = plain[0] ?? '';
      if (name !== APP_ID || !system.isInstalled()) return { stdout: 'Failed\n', code: 1 };
      await system.clearData();
      return { stdout: 'Success\n' };
    }
    case 'uninstall': {
      const name = plain[0] ?? '';
      if (name !== APP_ID || !system.isInstalled()) return { stdout: 'Failure [DELETE_FAILED_INTERNAL_ERROR]\n', code: 1 };
      await system.uninstall();
      return { stdout: 'Success\n' };
    }
    default:
      return { stdout: '', stderr: `Unknown command: ${verb ?? ''}\n`, code: 1 };
  }
}

function launch(system: AndroidSystem, component: string): ToolResult {
  const [pkg, rawActivity = ''] = component.split('/');
  const activity = rawActivity.startsWith('.') ? `${pkg}${rawActivity}` : rawActivity;
  const full = `${pkg}/${activity}`;
  const known = system.isInstalled() && (full === APP_ACTIVITY || full === `${APP_ID}/com.termux.nix.app.TermuxActivity`);
  if (pkg === APP_ID && known) {
    system.foreground = APP_ID;
    system.terminal.open();
    return { stdout: `Starting: Intent { cmp=${component} }\n` };
  }
  if (`${pkg}/${rawActivity}` === LAUNCHER_ACTIVITY) {
    system.foreground = LAUNCHER;
    return { stdout: `Starting: Intent { cmp=${component} }\n` };
  }
  return {
    stdout: `Starting: Intent { cmp=${component} }\n`,
    stderr: `Error type 3\nError: Activity class {${full}} does not exist.\n`,
    code: 1,
  };
}

function am(system: AndroidSystem, args: readonly string[]): ToolResult {
  const [verb, ...rest] = args;
  if (verb === 'start' || verb === 'start-activity') {
    const n = rest.indexOf('-n');
    const component = n >= 0 ? rest[n + 1] : undefined;
    if (!component) return { stdout: '', stderr: 'Error: the phone emulation starts activities by component (-n pkg/cls) only\n', code: 1 };
    return launch(system, component);
  }
  if (verb === 'force-stop') {
    if (rest[0] === APP_ID) {
      system.terminal.kill();
      if (system.foreground === APP_ID) system.foreground = LAUNCHER;
    }
    return { stdout: '' };
  }
  return { stdout: '', stderr: `Error: Unknown command: ${verb ?? ''}\n`, code: 1 };
}

function monkey(system: AndroidSystem, args: readonly string[]): ToolResult {
  const p = args.indexOf('-p');
  const pkg = p >= 0 ? args[p + 1] : undefined;
  if (pkg === APP_ID && system.isInstalled()) {
    launch(system, APP_ACTIVITY);
    return { stdout: '  bash arg: -p\n  bash arg: com.termux.nix\nEvents injected: 1\n## Network stats: elapsed time=10ms\n' };
  }
  return { stdout: `** No activities found to run, monkey aborted.\n`, code: 251 };
}

const KEYCODES: Readonly<Record<string, number>> = {
  KEYCODE_HOME: 3, KEYCODE_BACK: 4, KEYCODE_ENTER: 66, KEYCODE_DEL: 67, KEYCODE_NUMPAD_ENTER: 160,
  KEYCODE_SPACE: 62, KEYCODE_TAB: 61, KEYCODE_WAKEUP: 224, KEYCODE_MENU: 82,
};

function input(system: AndroidSystem, args: readonly string[]): ToolResult {
  const [verb, ...rest] = args;
  const appFocused = system.foreground === APP_ID;
  if (verb === 'text') {
    // Android's `input text` takes one argument and turns "%s" into a space.
    const text = (rest[0] ?? '').replace(/%s/g, ' ');
    if (appFocused) system.terminal.type(text);
    return { stdout: '' };
  }
  if (verb === 'keyevent') {
    for (const name of rest.filter((a) => a !== '--longpress')) {
      const code = /^\d+$/.test(name) ? Number(name) : KEYCODES[name];
      if (code === undefined) return { stdout: '', stderr: `Error: Unknown keycode: ${name}\n`, code: 1 };
      if (code === 3) system.foreground = LAUNCHER;
      else if (code === 4 && appFocused && system.terminal.stage !== 'url-dialog') system.foreground = LAUNCHER;
      else if (appFocused) system.terminal.key(code);
    }
    return { stdout: '' };
  }
  if (verb === 'tap') {
    // The bootstrap dialog's OK button, at the bounds uiautomator reports.
    const [x, y] = rest.map(Number);
    if (appFocused && system.terminal.stage === 'url-dialog' && x !== undefined && y !== undefined && x >= 780 && x <= 980 && y >= 1300 && y <= 1420) {
      system.terminal.confirmUrl(system.terminal.input);
    }
    return { stdout: '' };
  }
  if (verb === 'swipe') return { stdout: '' };
  return { stdout: '', stderr: `Error: Unknown command: ${verb ?? ''}\n`, code: 1 };
}

function battery(system: AndroidSystem): string {
  return ['Current Battery Service state:', '  AC powered: false', '  USB powered: true', '  Wireless powered: false',
    '  Max charging current: 500000', '  Max charging voltage: 5000000', '  Charge counter: 2960000',
    '  status: 2', '  health: 2', '  present: true', `  level: ${system.props['emulation.battery.level'] ?? '87'}`,
    '  scale: 100', '  voltage: 4231', '  temperature: 285', '  technology: Li-ion', ''].join('\n');
}

function focusedActivity(system: AndroidSystem): string {
  return system.foreground === APP_ID ? APP_ACTIVITY : LAUNCHER_ACTIVITY;
}

function dumpsys(system: AndroidSystem, args: readonly string[]): ToolResult {
  const [service, ...rest] = args;
  switch (service) {
    case 'battery': return { stdout: battery(system) };
    case 'window': return { stdout: `WINDOW MANAGER WINDOWS (dumpsys window windows)\n  mCurrentFocus=Window{4a1b2c u0 ${focusedActivity(system)}}\n  mFocusedApp=ActivityRecord{8d9e0f u0 ${focusedActivity(system)} t12}\n` };
    case 'activity': return { stdout: `ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n  mResumedActivity: ActivityRecord{8d9e0f u0 ${focusedActivity(system)} t12}\n` };
    case 'package': {
      const name = rest[0] ?? '';
      if (!packages(system).includes(name)) return { stdout: `Unable to find package: ${name}\n` };
      return { stdout: `Packages:\n  Package [${name}] (5e6f7a8):\n    userId=${name === APP_ID ? 10123 : 1000}\n    versionCode=188035 minSdk=24 targetSdk=28\n    versionName=0.118.0\n    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]\n    primaryCpuAbi=arm64-v8a\n` };
    }
    default: return { stdout: '', stderr: `Can't find service: ${service ?? ''}\n` };
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

function node(index: number, cls: string, pkg: string, text: string, id: string, bounds: string, children = ''): string {
  return `<node index="${index}" text="${escapeXml(text)}" resource-id="${id}" class="${cls}" package="${pkg}" content-desc="" checkable="false" checked="false" clickable="${cls.endsWith('Button')}" enabled="true" focusable="true" focused="${cls.endsWith('EditText') || cls.endsWith('TerminalView')}" scrollable="false" long-clickable="false" password="false" selected="false" bounds="${bounds}">${children}</node>`;
}

/** The UI hierarchy as `uiautomator dump` writes it. */
export function uiHierarchy(system: AndroidSystem): string {
  let content: string;
  if (system.foreground !== APP_ID) {
    content = node(0, 'android.widget.FrameLayout', LAUNCHER, '', '', '[0,0][1080,2400]',
      node(0, 'android.widget.TextView', LAUNCHER, 'Nix-on-Droid', `${LAUNCHER}:id/icon`, '[60,1800][260,2000]'));
  } else if (system.terminal.stage === 'url-dialog') {
    content = node(0, 'android.widget.FrameLayout', APP_ID, '', '', '[0,0][1080,2400]',
      node(0, 'android.widget.TextView', APP_ID, 'Bootstrap zipball location', 'android:id/alertTitle', '[100,1000][980,1100]')
      + node(1, 'android.widget.EditText', APP_ID, system.terminal.input, '', '[100,1150][980,1280]')
      + node(2, 'android.widget.Button', APP_ID, 'OK', 'android:id/button1', '[780,1300][980,1420]'));
  } else if (system.terminal.stage === 'installing') {
    content = node(0, 'android.widget.FrameLayout', APP_ID, '', '', '[0,0][1080,2400]',
      node(0, 'android.widget.TextView', APP_ID, 'Installing...', 'android:id/message', '[100,1100][980,1300]'));
  } else {
    content = node(0, 'android.widget.FrameLayout', APP_ID, '', '', '[0,0][1080,2400]',
      node(0, 'com.termux.view.TerminalView', APP_ID, system.terminal.screenText(), `${APP_ID}:id/terminal_view`, '[0,80][1080,2280]'));
  }
  return `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">${content}</hierarchy>`;
}

async function uiautomator(system: AndroidSystem, args: readonly string[]): Promise<ToolResult> {
  if (args[0] !== 'dump') return { stdout: '', stderr: 'Usage: uiautomator dump [--compressed] [file]\n', code: 1 };
  const target = args.slice(1).filter((a) => !a.startsWith('--'))[0] ?? '/sdcard/window_dump.xml';
  const xml = uiHierarchy(system);
  if (target === '/dev/tty' || target === '/dev/stdout') return { stdout: `${xml}UI hierchary dumped to: ${target}\n` };
  const prefix = ['/sdcard/', '/storage/emulated/0/'].find((p) => target.startsWith(p));
  if (!prefix) return { stdout: '', stderr: `ERROR: could not write to ${target}\n`, code: 1 };
  await system.writeSdcardFile(target.slice(prefix.length), xml);
  return { stdout: `UI hierchary dumped to: ${target}\n` };
}

function runAs(system: AndroidSystem, args: readonly string[]): ToolResult {
  const pkg = args[0] ?? '';
  if (!pkg) return { stdout: '', stderr: 'usage: run-as <package-name> [--user <uid>] <command> [<args>]\n', code: 1 };
  if (!packages(system).includes(pkg)) return { stdout: '', stderr: `run-as: unknown package: ${pkg}\n`, code: 1 };
  return { stdout: '', stderr: `run-as: package not debuggable: ${pkg}\n`, code: 1 };
}

/** Answers one invocation of a system tool (argv[0] is its name). */
export async function answerTool(system: AndroidSystem, argv: readonly string[]): Promise<ToolResult> {
  const [tool, ...args] = argv;
  switch (tool) {
    case 'getprop': return getprop(system, args);
    case 'pm': return pm(system, args);
    case 'cmd':
      if (args[0] === 'package') return pm(system, args.slice(1));
      if (args[0] === 'activity') return am(system, args.slice(1));
      return { stdout: '', stderr: `cmd: Can't find service: ${args[0] ?? ''}\n`, code: 20 };
    case 'am': return am(system, args);
    case 'monkey': return monkey(system, args);
    case 'input': return input(system, args);
    case 'dumpsys': return dumpsys(system, args);
    case 'uiautomator': return uiautomator(system, args);
    case 'run-as': return runAs(system, args);
    case 'wm': return { stdout: args[0] === 'density' ? 'Physical density: 420\n' : 'Physical size: 1080x2400\n' };
    default: return { stdout: '', stderr: `${tool ?? ''}: inaccessible or not found\n`, code: 127 };
  }
}

export const TOOL_NAMES: readonly string[] = ['getprop', 'pm', 'cmd', 'am', 'monkey', 'input', 'dumpsys', 'uiautomator', 'run-as', 'wm'];

/** The /system/bin script for every tool: passes argv to the emulator, prints its answer. */
export const TOOL_SCRIPT = `#!/bin/sh
# Android system tool of the phone EMULATION (tests/harness/phone): the emulator answers it.
{ printf '%s\\0' "\${0##*/}" "$@" | socat -t 600 - UNIX-CONNECT:/run/phone/control 2>/dev/null; echo; } | {
  rc=1
  while IFS= read -r line; do
    case $line in
      1*) printf '%s\\n' "\${line#1}" ;;
      2*) printf '%s\\n' "\${line#2}" >&2 ;;
      x*) rc=\${line#x} ;;
    esac
  done
  exit "$rc"
}
`;

/** Encodes a tool's answer for TOOL_SCRIPT: lines tagged 1 (stdout) or 2 (stderr), then x<code>. */
export function encodeToolResult(result: ToolResult): string {
  const tag = (text: string | undefined, prefix: string): string => {
    if (!text) return '';
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    return body.split('\n').map((line) => `${prefix}${line}\n`).join('');
  };
  return `${tag(result.stdout, '1')}${tag(result.stderr, '2')}x${result.code ?? 0}\n`;
}
