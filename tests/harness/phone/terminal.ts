/**
 * The Nix-on-Droid app's screen in the phone EMULATION: the first-run bootstrap dialog and
 * questions real Nix-on-Droid asks (texts from its login-inner and its emulator CI), then a
 * terminal whose typed lines run in the app's shell. Keys and text arrive from `input`.
 */

export const DEFAULT_BOOTSTRAP_URL = 'https://nix-on-droid.unboiled.info/bootstrap';
export const FLAKES_QUESTION = 'Do you want to set it up with flakes? (y/N) ';
export const PROMPT = 'bash-5.2$ ';
const SCREEN_LINES = 60;

/** busy: a typed command runs; further typing waits in the input line. */
export type TerminalStage = 'closed' | 'url-dialog' | 'installing' | 'question' | 'bootstrapping' | 'shell' | 'busy';

export interface TerminalActions {
  /** Unpacks the bootstrap: creates files/usr, files/home and the nix store. */
  bootstrap(): Promise<void>;
  /** Runs one typed line in the app's shell; output chunks go to `echo`; resolves at exit. */
  runLine(line: string, echo: (text: string) => void): Promise<void>;
  /** Is the app's first-run bootstrap done? */
  isBootstrapped(): boolean;
}

/** The terminal app's state machine. */
export class Terminal {
  stage: TerminalStage = 'closed';
  private transcript = '';
  /** The dialog's EditText, or the terminal's current input line. */
  input = '';

  constructor(private readonly actions: TerminalActions) {}

  /** The app came to the foreground (am start). */
  open(): void {
    if (this.stage !== 'closed') return;
    if (this.actions.isBootstrapped()) {
      this.transcript = 'Welcome to Nix-on-Droid!\n';
      this.enterShell();
    } else {
      this.stage = 'url-dialog';
      this.input = DEFAULT_BOOTSTRAP_URL;
    }
  }

  /** force-stop: the session dies; an unfinished bootstrap starts over next time. */
  kill(): void {
    this.stage = 'closed';
    this.transcript = '';
    this.input = '';
  }

  /** What is on the screen: the terminal's last lines. */
  screenText(): string {
    const visible = this.transcript + (['shell', 'question', 'busy'].includes(this.stage) ? this.input : '');
    return visible.split('\n').slice(-SCREEN_LINES).join('\n');
  }

  private print(text: string): void {
    this.transcript += text;
    if (this.transcript.length > 200_000) this.transcript = this.transcript.slice(-100_000);
  }

  private enterShell(): void {
    this.stage = 'shell';
    this.print(PROMPT);
  }

  /** `input text`: characters typed into the focused field. */
  type(text: string): void {
    if (['url-dialog', 'question', 'shell', 'busy'].includes(this.stage)) this.input += text;
  }

  /** `input keyevent`: ENTER submits, DEL erases. */
  key(code: number): void {
    if (code === 67) { this.input = this.input.slice(0, -1); return; }
    if (code !== 66 && code !== 160) return;
    if (this.stage === 'busy') return;
    const line = this.input;
    this.input = '';
    if (this.stage === 'url-dialog') this.confirmUrl(line);
    else if (this.stage === 'question') this.answer(line);
    else if (this.stage === 'shell') this.submit(line);
  }

  /** The dialog's OK button (ENTER in its field does the same here). */
  confirmUrl(url: string): void {
    if (this.stage !== 'url-dialog') return;
    this.input = '';
    if (url.trim() === '') return;
    this.stage = 'installing';
    // Real app: a progress dialog "Installing..." while it unpacks the zipball.
    setTimeout(() => {
      if (this.stage !== 'installing') return;
      this.print('Welcome to Nix-on-Droid!\n\nSetting default user profile...\nSourcing Nix environment...\n\n');
      this.print('Nix-on-Droid can be set up with channels or with flakes (still experimental).\n');
      this.print(FLAKES_QUESTION);
      this.stage = 'question';
    }, 300);
  }

  private answer(reply: string): void {
    this.print(`${reply}\n`);
    const flakes = /^[Yy]$/.test(reply);
    if (!flakes && !/^[Nn]?$/.test(reply)) {
      this.print(`Received invalid input '${reply}', please try again.\n${FLAKES_QUESTION}`);
      return;
    }
    this.stage = 'bootstrapping';
    this.print(flakes ? 'Setting up Nix-on-Droid with flakes...\nInstalling flake from default template...\n'
      : 'Setting up Nix-on-Droid with channels...\nInstalling and updating nix-channels...\n');
    void this.actions.bootstrap().then(() => {
      if (this.stage !== 'bootstrapping') return;
      this.print('Installing first Nix-on-Droid generation...\nBuilding activation package...\n\n');
      this.print('Congratulations! Now you have Nix installed with some default packages like bashInteractive, '
        + 'coreutils, cacert and, most importantly, Nix-on-Droid itself to manage local configuration, see\n'
        + '  nix-on-droid help\n\n');
      this.enterShell();
    }, (error: unknown) => {
      this.print(`Bootstrap failed: ${(error as Error).message}\n`);
      this.stage = 'closed';
    });
  }

  private submit(line: string): void {
    this.print(`${line}\n`);
    if (line.trim() === '') { this.print(PROMPT); return; }
    this.stage = 'busy';
    // One line at a time, like a shell waiting for its foreground job.
    void this.actions.runLine(line, (text) => this.print(text))
      .catch((error: unknown) => this.print(`${(error as Error).message}\n`))
      .then(() => { if (this.stage === 'busy') this.enterShell(); });
  }
}
