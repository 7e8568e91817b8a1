import { Argument, type Command, type Option } from 'commander';
import { examples } from './output.ts';

/**
 * `runlater completion bash|zsh|fish`: completion scripts generated from the command tree itself,
 * so that a new verb or option completes without anyone editing a script. Verbs, options, and the
 * values of options that have a fixed set of choices complete; ids and names do not (that would
 * need a call to the API on every Tab).
 */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script')
    .addArgument(new Argument('<shell>', 'your shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples(
        'source <(runlater completion bash)                       # this shell; add it to ~/.bashrc to keep it',
        'runlater completion zsh > "${fpath[1]}/_runlater"        # or: source <(runlater completion zsh)',
        'runlater completion fish > ~/.config/fish/completions/runlater.fish',
      ),
    )
    .action((shell: 'bash' | 'zsh' | 'fish') => {
      const tree = walk(program, []);
      process.stdout.write(shell === 'fish' ? fishScript(tree) : bashScript(tree, shell === 'zsh'));
    });
}

interface Node {
  path: string[];
  /** Subcommands, and the choices of an argument that has them (`completion bash|zsh|fish`). */
  subcommands: string[];
  options: readonly Option[];
}

function walk(cmd: Command, path: string[]): Node[] {
  const choices = cmd.registeredArguments.flatMap((a) => a.argChoices ?? []);
  const here: Node = {
    path,
    subcommands: [...cmd.commands.map((c) => c.name()), ...choices],
    options: cmd.options,
  };
  return [here, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

const flags = (o: Option) => [o.short, o.long].filter((f): f is string => Boolean(f));

function bashScript(tree: Node[], zsh: boolean): string {
  const root = tree[0]!;
  // Program options that work after a verb too (not --version, which is the program's alone).
  const globals = root.options.filter((o) => o.long !== '--version').flatMap(flags);
  const key = (path: string[]) => path.join('_');
  const commandPatterns = tree
    .slice(1)
    .map((n) => `${key(n.path.slice(0, -1))}/${n.path.at(-1)}`)
    .join('|');
  const words = tree
    .map((n) => {
      const list = [...n.subcommands, ...n.options.flatMap(flags), ...(n === root ? [] : globals), '--help'];
      return `    "${key(n.path)}") words="${[...new Set(list)].join(' ')}" ;;`;
    })
    .join('\n');
  const choices = new Map<string, string[]>();
  for (const n of tree)
    for (const o of n.options) if (o.argChoices) for (const f of flags(o)) choices.set(f, o.argChoices);
  const values = [...choices]
    .map(([flag, list]) => `    ${flag}) COMPREPLY=($(compgen -W "${list.join(' ')}" -- "$cur")); return ;;`)
    .join('\n');
  return `${zsh ? '#compdef runlater\n# zsh runs the bash completion through bashcompinit.\nautoload -U +X bashcompinit && bashcompinit\n' : ''}# runlater completion for ${zsh ? 'zsh' : 'bash'}: source <(runlater completion ${zsh ? 'zsh' : 'bash'})
_runlater_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i words
  # The verb path so far: the words before the cursor that name (sub)commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$path/$w" in
      ${commandPatterns}) path="\${path:+\${path}_}$w" ;;
    esac
  done
  case "$prev" in
${values}
  esac
  case "$path" in
${words}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _runlater_completions runlater
`;
}

function fishScript(tree: Node[]): string {
  const lines = [
    '# runlater completion for fish: runlater completion fish | source',
    'complete -c runlater -f',
  ];
  const quote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;
  for (const n of tree) {
    // Fish has no verb path of its own: "the words seen include this path and no child of it".
    const seen = n.path.map((p) => `__fish_seen_subcommand_from ${p}`);
    const notDeeper = n.subcommands.length
      ? [`not __fish_seen_subcommand_from ${n.subcommands.join(' ')}`]
      : [];
    const cond = n.path.length ? [...seen, ...notDeeper].join('; and ') : '__fish_use_subcommand';
    for (const sub of n.subcommands) lines.push(`complete -c runlater -n ${quote(cond)} -a ${sub}`);
    for (const o of n.options) {
      const parts = ['complete -c runlater'];
      if (n.path.length)
        parts.push(`-n ${quote(n.path.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and '))}`);
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`);
      if (o.long) parts.push(`-l ${o.long.replace(/^--/, '')}`);
      if (o.argChoices) parts.push(`-xa ${quote(o.argChoices.join(' '))}`);
      else if (o.required || o.optional) parts.push('-r');
      if (o.description) parts.push(`-d ${quote(o.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
