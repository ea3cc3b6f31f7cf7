// INN and OGRN checks as the gateway makes them, for a hint while typing (the server checks again).

const weights10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const weights11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const weights12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

function check(digits, weights) {
  return (weights.reduce((sum, weight, index) => sum + weight * digits[index], 0) % 11) % 10;
}

/** null when the INN is valid, else what is wrong (in Russian). */
export function innProblem(value) {
  if (!/^\d*$/.test(value)) return 'ИНН состоит только из цифр';
  if (value.length !== 10 && value.length !== 12) return `ИНН — 10 цифр (организация) или 12 (ИП), сейчас ${value.length}`;
  const digits = [...value].map(Number);
  if (value.length === 10) {
    const expected = check(digits, weights10);
    return expected === digits[9] ? null : `контрольная цифра (10-я) должна быть ${expected}, а не ${digits[9]}`;
  }
  const eleventh = check(digits, weights11);
  const twelfth = check(digits, weights12);
  if (eleventh !== digits[10]) return `контрольная цифра (11-я) должна быть ${eleventh}, а не ${digits[10]}`;
  if (twelfth !== digits[11]) return `контрольная цифра (12-я) должна быть ${twelfth}, а не ${digits[11]}`;
  return null;
}

/** null when the OGRN (13 digits) or OGRNIP (15) is valid, else what is wrong. */
export function ogrnProblem(value) {
  if (!/^\d+$/.test(value) || (value.length !== 13 && value.length !== 15)) return 'ОГРН — 13 цифр, ОГРНИП — 15';
  const body = BigInt(value.slice(0, -1));
  const expected = Number((body % BigInt(value.length === 13 ? 11 : 13)) % 10n);
  const last = Number(value.at(-1));
  return expected === last ? null : `контрольная цифра должна быть ${expected}, а не ${last}`;
}
