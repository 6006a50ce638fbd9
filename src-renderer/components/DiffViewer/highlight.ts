import { refractor } from 'refractor/core';
import nix from 'refractor/nix';
import json from 'refractor/json';
import yaml from 'refractor/yaml';
import bash from 'refractor/bash';
import markdown from 'refractor/markdown';

refractor.register(nix);
refractor.register(json);
refractor.register(yaml);
refractor.register(bash);
refractor.register(markdown);

/** Whether the viewer can highlight this language. */
export function canHighlight(language: string): boolean {
  return language !== '' && refractor.registered(language);
}

/**
 * refractor (Prism grammars) in the shape react-diff-view's tokenizer calls: it expects
 * `highlight()` to answer the list of nodes, which refractor 5 wraps in a root.
 */
export const diffRefractor = {
  highlight: (text: string, language: string) => refractor.highlight(text, language).children,
};
