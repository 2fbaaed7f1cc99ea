/**
 * Container names as Docker gives and checks them (moby pkg/namesgenerator and
 * daemon/names.go): `<adjective>_<surname>` when none is given, and a name of
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, shown with a leading `/` in inspect.
 */
import { randomInt } from 'node:crypto';
import { StoreError } from './errors.js';

/** A part of moby's lists: the form is Docker's, the exact words matter to nobody. */
const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'blissful',
  'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent',
  'condescending', 'confident', 'cool', 'cranky', 'crazy', 'dazzling', 'determined', 'distracted',
  'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting',
  'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant',
  'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry',
  'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind',
  'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty',
  'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic',
  'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent',
  'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied',
  'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant',
  'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
]; // prettier-ignore

const RIGHT = [
  'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'aryabhata', 'austin', 'babbage',
  'banach', 'bardeen', 'bartik', 'bassi', 'bell', 'benz', 'bhabha', 'bhaskara', 'blackwell',
  'bohr', 'booth', 'borg', 'bose', 'boyd', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf',
  'chandrasekhar', 'chatelet', 'chaum', 'clarke', 'colden', 'cori', 'cray', 'curie', 'darwin',
  'davinci', 'dijkstra', 'dirac', 'driscoll', 'dubinsky', 'easley', 'edison', 'einstein',
  'elgamal', 'elion', 'ellis', 'engelbart', 'euclid', 'euler', 'faraday', 'feistel', 'fermat',
  'fermi', 'feynman', 'franklin', 'gagarin', 'galileo', 'gates', 'gauss', 'germain', 'goldberg',
  'goldstine', 'goldwasser', 'golick', 'goodall', 'haibt', 'hamilton', 'hawking', 'heisenberg',
  'hermann', 'hertz', 'hodgkin', 'hofstadter', 'hopper', 'hugle', 'hypatia', 'jackson',
  'jennings', 'jepsen', 'johnson', 'joliot', 'jones', 'kalam', 'kapitsa', 'keller', 'kepler',
  'khorana', 'kilby', 'kirch', 'knuth', 'kowalevski', 'lalande', 'lamarr', 'lamport', 'leakey',
  'leavitt', 'lederberg', 'lehmann', 'lewin', 'lichterman', 'liskov', 'lovelace', 'lumiere',
  'mahavira', 'margulis', 'matsumoto', 'maxwell', 'mayer', 'mccarthy', 'mcclintock', 'mclean',
  'meitner', 'mendel', 'merkle', 'minsky', 'mirzakhani', 'moore', 'morse', 'moser', 'napier',
  'nash', 'neumann', 'newton', 'nightingale', 'nobel', 'noether', 'northcutt', 'noyce',
  'panini', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'poitras',
  'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'robinson', 'roentgen', 'rosalind',
  'rubin', 'saha', 'sammet', 'sanderson', 'shannon', 'shaw', 'shirley', 'shockley', 'sinoussi',
  'snyder', 'solomon', 'spence', 'stonebraker', 'sutherland', 'swanson', 'swartz', 'swirles',
  'taussig', 'tesla', 'tharp', 'thompson', 'torvalds', 'tu', 'turing', 'varahamihira',
  'vaughan', 'villani', 'visvesvaraya', 'volhard', 'wescoff', 'wilbur', 'wiles', 'williams',
  'williamson', 'wilson', 'wing', 'wozniak', 'wright', 'wu', 'yalow', 'yonath', 'zhukovsky',
]; // prettier-ignore

/** A new `adjective_surname`; `taken` says which are in use (Docker appends a digit after a clash). */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    let name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    // moby: "Steve Wozniak is not boring".
    if (name === 'boring_wozniak') continue;
    if (attempt > 0) name += String(randomInt(10));
    if (!taken(name)) return name;
  }
}

const VALID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** `name` without the leading `/` Docker allows; Docker's error when it has other characters. */
export function checkName(name: string): string {
  if (!VALID.test(name))
    throw new StoreError(
      'BAD_CONTAINER_NAME',
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      { name },
    );
  return name.startsWith('/') ? name.slice(1) : name;
}
