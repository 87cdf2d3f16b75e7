import { validateOrgUrl } from '../../../src/okta/org-url';

describe('validateOrgUrl', () => {
  it('accepts an https org URL and returns its origin only', () => {
    expect(validateOrgUrl('https://acme.okta.com').toString()).toBe('https://acme.okta.com/');
    expect(validateOrgUrl('  https://acme.okta.com/  ').origin).toBe('https://acme.okta.com');
    expect(validateOrgUrl('https://login.example.com:8443').origin).toBe(
      'https://login.example.com:8443',
    );
  });

  it('accepts http only on loopback hosts (the simulator)', () => {
    expect(validateOrgUrl('http://127.0.0.1:8080').origin).toBe('http://127.0.0.1:8080');
    expect(validateOrgUrl('http://[::1]:8080').origin).toBe('http://[::1]:8080');
    expect(validateOrgUrl('http://localhost:3000/').origin).toBe('http://localhost:3000');
    expect(() => validateOrgUrl('http://acme.okta.com')).toThrow(/OKTA_ORG_URL: must use https/);
    expect(() => validateOrgUrl('http://127.0.0.2')).toThrow(/must use https/);
    expect(() => validateOrgUrl('ftp://127.0.0.1')).toThrow(/must use https/);
  });

  it.each([
    ['https://acme.okta.com/api/v1', /must not have a path/],
    ['https://acme.okta.com/?x=1', /must not have a query/],
    ['https://acme.okta.com?', /must not have a query/],
    ['https://acme.okta.com/#frag', /must not have a fragment/],
    ['https://acme-admin.okta.com', /not the Admin Console URL/],
    ['', /OKTA_ORG_URL: is empty/],
    ['acme.okta.com', /not a valid absolute URL/],
  ])('rejects %j', (raw, message) => {
    expect(() => validateOrgUrl(raw)).toThrow(message);
  });

  it('names the variable and what was expected, and never echoes credentials or a pasted token', () => {
    const secret = '00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd';
    for (const raw of [
      `https://admin:${secret}@acme.okta.com`,
      secret,
      `https://acme.okta.com/${secret}`,
    ]) {
      let message = '';
      try {
        validateOrgUrl(raw);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^OKTA_ORG_URL: /);
      expect(message).toMatch(/expected the org URL alone, like https:\/\//);
      if (raw.includes('@')) expect(message).toMatch(/must not contain credentials/);
      expect(message).not.toContain(secret);
    }
  });
});
