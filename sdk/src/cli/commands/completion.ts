import type { Command, Option } from 'commander';
import { usage } from '../options.js';

/** The long flags of a command's options, `--help` included. */
const flags = (cmd: Command): string[] => [...cmd.options.map((o: Option) => o.long).filter((f): f is string => f !== undefined), '--help'];

/** Global options that take a value: the word after them is not the command. */
const valueFlags = (program: Command): string[] => program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * A bash completion script for `program`, from its commands and options: commands after
 * `cove`, subcommands of `keys`, each command's options after it, file names otherwise.
 */
export function bashCompletion(program: Command): string {
  const cases = program.commands.map((c) => {
    if (c.commands.length > 0) return `    ${c.name()}) words=${quote(c.commands.map((s) => s.name()).join(' '))}; [[ $i -eq $((COMP_CWORD - 1)) ]] && sub=1 ;;`;
    return `    ${c.name()}) words=${quote(flags(c).join(' '))} ;;`;
  });
  return [
    '# bash completion for cove: eval "$(cove completion bash)" (e.g. in ~/.bashrc)',
    '_cove() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} cmd="" skip="" sub="" i words',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    if [[ -n $skip ]]; then skip=""; continue; fi',
    '    case ${COMP_WORDS[i]} in',
    `      ${valueFlags(program).join('|')}) skip=1 ;;`,
    '      -*) ;;',
    '      *) cmd=${COMP_WORDS[i]}; break ;;',
    '    esac',
    '  done',
    '  case $cmd in',
    `    "") words=${quote([...program.commands.map((c) => c.name()), ...flags(program)].join(' '))} ;;`,
    ...cases,
    '    *) words="" ;;',
    '  esac',
    '  if [[ -z $cmd || -n $sub || $cur == -* ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); else COMPREPLY=(); fi',
    '}',
    'complete -o default -F _cove cove',
    '',
  ].join('\n');
}

/** A zsh completion script for `program`: commands with their descriptions, each command's options, files. */
export function zshCompletion(program: Command): string {
  const describe = (c: Command) => quote(`${c.name()}:${c.description().split(/[:(]/)[0]!.replace(/'/g, '').trim()}`);
  const cases = program.commands.map((c) =>
    c.commands.length > 0
      ? `    ${c.name()}) local -a subs; subs=(${c.commands.map(describe).join(' ')}); _describe 'subcommand' subs ;;`
      : `    ${c.name()}) if [[ $PREFIX == -* ]]; then compadd -- ${flags(c).join(' ')}; else _files; fi ;;`,
  );
  return [
    '#compdef cove',
    '# zsh completion for cove: eval "$(cove completion zsh)" (e.g. in ~/.zshrc, after compinit)',
    '_cove() {',
    '  local cmd="" skip="" i',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    if [[ -n $skip ]]; then skip=""; continue; fi',
    '    case ${words[i]} in',
    `      ${valueFlags(program).join('|')}) skip=1 ;;`,
    '      -*) ;;',
    '      *) cmd=${words[i]}; break ;;',
    '    esac',
    '  done',
    '  case $cmd in',
    `    "") if [[ $PREFIX == -* ]]; then compadd -- ${flags(program).join(' ')}; else local -a cmds; cmds=(${program.commands.map(describe).join(' ')}); _describe 'command' cmds; fi ;;`,
    ...cases,
    '  esac',
    '}',
    'compdef _cove cove',
    '',
  ].join('\n');
}

export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script (bash or zsh)')
    .addHelpText('after', '\nExamples:\n  eval "$(cove completion bash)"    # in ~/.bashrc\n  eval "$(cove completion zsh)"     # in ~/.zshrc, after compinit')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw usage(`completion: give bash or zsh, got "${shell}"`);
    });
}
