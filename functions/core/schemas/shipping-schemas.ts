import * as z from 'zod/mini';
import { schema } from './schema';
// The library's code table alone (a few KB in a bundle): its main entry registers every locale's country names,
// about 720 KB minified, which a handler that only checks codes has no use for.
import countryCodes from 'i18n-iso-countries/codes.json';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';

/**
 * Where an order goes and whom to tell: a shop ships goods, so `POST /orders` requires both. Each schema has two
 * halves joined by a pipe: what a client may send (length caps on the raw text, which the published API description
 * and API Gateway's request model show and enforce) and what the order keeps (normalised, then checked). Messages
 * never repeat the value: a refused request's problem+json, and the log line that records it, name the field only.
 */

/**
 * ISO 3166-1 alpha-2, as i18n-iso-countries lists them (its rows are alpha-2, alpha-3, numeric, subdivision). Built
 * at the first check, not at load: most functions that bundle this module never check an address.
 */
let alpha2Countries: ReadonlySet<string> | undefined;

export const addressLimits = {
  name: 100,
  line: 100,
  city: 100,
  region: 100,
  /** The longest postal code in use is 10 characters (US ZIP+4, BR); spaces and dashes are kept. */
  postalCode: 16,
  phone: 32,
  /** RFC 5321's limit on a path, which caps an address. */
  email: 254,
} as const;

/** Runs of whitespace (tabs and newlines too) become one space; the ends are trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// Control characters that survive the whitespace collapse (NUL, escapes) have no place on a shipping label.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

function text(maxLength: number, description: string) {
  return z.pipe(
    z.string().check(z.maxLength(maxLength), z.describe(description)),
    z.string().check(
      z.overwrite(collapseWhitespace),
      z.minLength(1, 'must not be blank'),
      z.refine((value) => !controlCharacters.test(value), 'must not contain control characters'),
    ),
  );
}

export function isCountryCode(code: string): boolean {
  alpha2Countries ??= new Set(countryCodes.map(([alpha2]) => alpha2 ?? ''));
  return /^[A-Z]{2}$/.test(code) && alpha2Countries.has(code);
}

const country = /* @__PURE__ */ schema(() =>
  z.pipe(
    z
      .string()
      .check(
        z.regex(/^\s*[A-Za-z]{2}\s*$/),
        z.describe('ISO 3166-1 alpha-2 country code, such as `DE` or `US` (case does not matter)'),
      ),
    z.string().check(z.trim(), z.toUpperCase(), z.refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')),
  ),
);

// Where no library knows a country's format: letters, digits, spaces and dashes, starting and ending with one of the
// first two. Enough to keep out what is not a postal code anywhere.
const genericPostalCode = /^[A-Z0-9](?:[A-Z0-9 -]{0,10}[A-Z0-9])?$/;

const postalCode = /* @__PURE__ */ schema(() =>
  z.pipe(
    z
      .string()
      .check(
        z.maxLength(addressLimits.postalCode),
        z.describe(
          'Required where the country has a postal code format this API knows, and checked against it; elsewhere ' +
            '(Hong Kong, say, which has none) optional',
        ),
      ),
    z.string().check(
      z.overwrite((value) => collapseWhitespace(value).toUpperCase()),
      z.minLength(1, 'must not be blank'),
    ),
  ),
);

// E.164 once spaces, dots, dashes and parentheses are gone: a plus, the country code, at most 15 digits in all.
export const contactPhone = /* @__PURE__ */ schema(() =>
  z.pipe(
    z
      .string()
      .check(z.maxLength(addressLimits.phone), z.describe('For the carrier, in international form (`+49 30 1234567`)')),
    z.string().check(
      z.overwrite((value) => value.replace(/[\s().-]/g, '')),
      z.regex(
        /^\+[1-9][0-9]{6,14}$/,
        'must be a phone number in international form, starting with + and the country code',
      ),
    ),
  ),
);

/**
 * The postal code against its country: checked with postcode-validator where it knows the country's format (and then
 * required), by a generic shape otherwise. Returns the problem, or undefined when there is none.
 */
export function postalCodeProblem(code: string | undefined, countryCode: string): string | undefined {
  const known = postcodeValidatorExistsForCountry(countryCode);
  if (code === undefined) return known ? `is required for country ${countryCode}` : undefined;
  if (known) return postcodeValidator(code, countryCode) ? undefined : `is not a valid postal code for ${countryCode}`;
  return genericPostalCode.test(code) ? undefined : 'is not a valid postal code';
}

const fieldsChecked: ReadonlySet<string> = new Set(['country', 'postalCode']);

export const shippingAddress = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: text(addressLimits.name, 'The recipient'),
      line1: text(addressLimits.line, 'Street and number, or a PO box'),
      line2: z.optional(text(addressLimits.line, 'Apartment, floor, company, c/o')),
      city: text(addressLimits.city, 'City or town'),
      region: z.optional(text(addressLimits.region, 'State, province or region, where the country uses one')),
      postalCode: z.optional(postalCode),
      country,
      phone: z.optional(contactPhone),
    })
    .check(
      z.superRefine(
        (address, context) => {
          const problem = postalCodeProblem(address.postalCode, address.country);
          if (problem) context.addIssue({ code: 'custom', path: ['postalCode'], message: problem });
        },
        // Only on an object whose country and postal code passed their own checks: one issue per field, and never a
        // check against a country that is not one. An issue without a path is the object's own (not an object, an
        // unknown key). Other fields' issues do not stop it: the client learns them all at once.
        {
          when: (payload) =>
            typeof payload.value === 'object' &&
            payload.value !== null &&
            !payload.issues.some((issue) => !issue.path?.length || fieldsChecked.has(String(issue.path[0]))),
        },
      ),
    ),
);

export const contactEmail = /* @__PURE__ */ schema(() =>
  z.pipe(
    z
      .string()
      .check(
        z.maxLength(addressLimits.email),
        z.describe('Where to send order updates; surrounding whitespace is trimmed'),
      ),
    z.string().check(z.trim(), z.email('must be an email address')),
  ),
);

/** The address as the API shows it back: already normalised, so described without the input rules. */
export const shippingAddressResponse = /* @__PURE__ */ schema(() =>
  z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.optional(z.string()),
    city: z.string(),
    region: z.optional(z.string()),
    postalCode: z.optional(z.string()),
    country: z.string(),
    phone: z.optional(z.string()),
  }),
);
