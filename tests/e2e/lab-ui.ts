import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServe, type ServeHandle } from './serve-helper';
import { collectPageErrors, launchBrowser } from './browser';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import type { Suite } from '../harness/toolchain/index.js';

/** `fleet serve` on a checkout and one Chromium page on it: what every e2e test starts from. */
export interface CheckoutUi {
  readonly serve: ServeHandle;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page logged (collectPageErrors). */
  readonly errors: string[];
  close(): Promise<void>;
}

export interface CheckoutUiOptions {
  /** The checkout `fleet serve` opens. */
  readonly flake: string;
  /** More environment for `fleet serve` (HOME, FLEET_NIX_OPTIONS, ANDROID_ADB_SERVER_PORT...). */
  readonly env?: NodeJS.ProcessEnv;
  /** Its data folder (default: a new one). */
  readonly dataDir?: string;
  /** The route the page opens, e.g. "#/deploys" (default: the first screen). */
  readonly route?: string;
  /** A script every page of the context runs first. */
  readonly initScript?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** Start `fleet serve` on `flake` and open it in Chromium; on a failure, closes what it opened. */
export async function openCheckoutUi(options: CheckoutUiOptions): Promise<CheckoutUi> {
  const opened: { serve?: ServeHandle; browser?: Browser; context?: BrowserContext } = {};
  const close = async () => {
    await opened.context?.close();
    await opened.browser?.close();
    await opened.serve?.close();
  };
  try {
    const serve = (opened.serve = await startServe({ flake: options.flake, ...(options.env ? { env: options.env } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }));
    const browser = (opened.browser = await launchBrowser());
    const context = (opened.context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } }));
    if (options.initScript) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${serve.url}${options.route ?? ''}`);
    return { serve, browser, context, page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Lab hosts, the checkout served by `fleet serve`, and one Chromium page on it: what the deploy e2e tests share. */
export interface LabUi extends CheckoutUi {
  readonly world: DeployWorld;
}

export interface LabUiOptions extends Omit<CheckoutUiOptions, 'flake' | 'env' | 'dataDir' | 'route'> {
  /** The lab hosts to start. */
  readonly names: readonly string[];
  /** The route the page opens, e.g. "#/deploys". */
  readonly route: string;
  /** Systems without a lab host, sent to a closed loopback port so they read as offline and no name is looked up off this machine. */
  readonly offline?: readonly string[];
  /** Runs after the world starts and before `fleet serve` does (deploy something first, edit the checkout...). */
  readonly prepare?: (world: DeployWorld) => Promise<void> | void;
  /** The hosts' toolchain (default: FLEET_TEST_HOST_TOOLCHAIN, else Debian 12's); the local nix follows FLEET_TEST_LOCAL_TOOLCHAIN. */
  readonly toolchain?: Suite;
  /** `fleet serve` uses the world's data folder, so settings made in `prepare` (a binary cache) are its own. */
  readonly shareDataDir?: boolean;
}

/** Start lab hosts and a checkout that reaches them, then `fleet serve` on it in Chromium. */
export async function openLabUi(options: LabUiOptions): Promise<LabUi> {
  const world = await startDeployWorld({ names: [...options.names], ...(options.toolchain ? { toolchain: options.toolchain } : {}) });
  try {
    if (options.offline?.length) {
      fs.appendFileSync(path.join(world.home, '.ssh', 'config'), `\nHost ${options.offline.join(' ')}\n  HostName 127.0.0.1\n  Port 9\n`);
    }
    await options.prepare?.(world);
    // HOME's ~/.ssh/config Includes the lab's ssh_config, which names the lab's known_hosts.
    const ui = await openCheckoutUi({
      flake: world.checkout,
      env: {
        HOME: world.home,
        FLEET_NIX_OPTIONS: 'substituters=',
        ...(world.env.FLEET_NIX ? { FLEET_NIX: world.env.FLEET_NIX } : {}),
        ...(world.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: world.env.SSH_AUTH_SOCK } : {}),
      },
      ...(options.shareDataDir ? { dataDir: world.dataDir } : {}),
      route: options.route,
      ...(options.initScript ? { initScript: options.initScript } : {}),
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
    return {
      ...ui,
      world,
      close: async () => {
        await ui.close();
        await world.stop();
      },
    };
  } catch (error) {
    await world.stop();
    throw error;
  }
}
