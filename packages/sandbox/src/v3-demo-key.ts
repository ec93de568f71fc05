// PUBLIC TEST KEY PAIR for the sandbox's DEMO merchant (mchid 1900000001) only. Generated with the openssl CLI on
// 2026-11-26 and published in this repository, so a signature made with it proves nothing: never use it with real
// WeChat Pay. It exists so that a sandbox started on its own (`npx wxpay-sandbox`) has a v3 demo merchant whose
// private key a backend can be configured with (GET /sandbox/merchants lists it). The server's sandbox mode does not
// use it: it generates the demo merchant's key pair on first start and keeps it under ./data.

/** Serial of the demo merchant's (imaginary) API certificate, as WeChat prints it: 40 upper-case hex digits. */
export const DEMO_MERCHANT_CERT_SERIAL = '3720100C1524886C855704F35C67EE9059B1CB92';

export const DEMO_MERCHANT_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC0OAV6JrS8fb12
YRdy79zjPIwOLRMSthZiKxxCPjcLJF+WQGXAZ1pOWUS+JtbQ97Qsn9LCwqTFuIo9
ztC61b+PRG1jjtlrrgxXjJ2wUm88JMZrbON6qNnWJAaE0wEw3Lw4nPhwPBLx+5Id
e4eawkKDtoqHPOewytj85KI4Hs3djSstnL8QnDQlVOmgVtMFn9KvyZS+rbSSqewQ
bV5EzM5mL/cBZt0cNK5DxdlQUjpuYb5yBw1htHNrVX4qRq3uv4RHgYLKv1bJoVER
UamnIi39DQicU0QawKSJzzjYlCTjnHt5mjmZqJHa2Mguc060qdlYdjQlk1ZvojGe
R5jM8igdAgMBAAECggEAOv0xUcPUmfQAbXynS8BWiWy6nTNE0HWYiwZ4Z/hsVPHR
deFbTOinhwiyNxmIa/sAVzDzMDu86lkWqteEu/sWCiOIOLO72AKu2INW5C1/amzR
I72PEgmtz+mX1qcodyFxXIiIy1fmjZ1ePNc/0jiuw+Uen9igL96dut1tebgfg1pR
oSvM2MzxuOBw2Nr62c+7LOxn1h3aXmMhFRQEgfy4V7pc4xjnMHEfV4k1O33Q8LjO
PB5kUyZla6cZDUPCTqjmkl91ORnt9LfX4rTj2A4g9B77R/424RV3xW5LwqvSwdtU
Ya8Cp+svw/e+8CFrIgZt35MI4PJW8QpXakDCowidEwKBgQDzrs0NMidiBPtZGkf6
E0qN5eogNaP4ncdrOC0W/F+LS5Al9GCgbPnoBWXJ37iIpZbxfQDCvK7ffEmAGOsL
78b6f5NWVQUmGps6vn2+0b6zVAdwpIuqhuxAhFRW5woW2nMMB4sfogLFyEcX72kb
3JfmaT0WXCfkiTPDHCzMnZ7kswKBgQC9VALfg9Ikw8hbLnuwJy/1IMGzbsHf2dMe
8UmGtJ9tpJuGZhuBfDnyk4FOEQoC21ix9quBUDR3HmmKMoApXn5FzV8yztkLaZCe
4Gb9dQE6LayCHHuBQ7mmCPO0fmBMiZTchvTfZYr2KuJf6illijZungm0GzxkEfZ9
legp059H7wKBgQCmSKTyGURYlc+yiMWO93ULiVWPbysaLwhyuN3D7qmAEyslSzJY
pqSN2IkSDZEN5fkvhr5rJHgsVtKND/PsrE1aiI3Q/qlJzCQbHPwPp277Th7Zld8c
mX9Ds0keGACBgcW58rfT+SjtL/Kbeap+8bPR7gRaar5qK9nfjS1g3zobEwKBgA/n
+P3SU1tnX3PZqeaYxDyx7dQnX/5wjH4zA1xf3G0XwUE/Xtw4FZ49qkVmxRKMXx1E
fhA1LtM7KN7Fc2MGX1F5+Z+JJU8CJXZToBN3Ow0qPS4JOo8Xo4dBhUgKvghwHqOQ
aw5Bt7UK0U4BnEy9mekdOe95wk8d+zl92K167AzdAoGBANLu3TdQiidSUobT4Up4
P9DILmGVaSEWIprQN/rh5YUTKMjfS5w03mm3Qg2LyHBuaDyHgKsx5kKPpMHMjiyg
U/W4/3ofw1r5Pfr7ANxvux9eHzIOwxverKUp1dFxmdqYtBQuOy4q5oa797op0tCN
miBhzMBrGIDFHfYRwU/XS78Q
-----END PRIVATE KEY-----
`;

export const DEMO_MERCHANT_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtDgFeia0vH29dmEXcu/c
4zyMDi0TErYWYiscQj43CyRflkBlwGdaTllEvibW0Pe0LJ/SwsKkxbiKPc7QutW/
j0RtY47Za64MV4ydsFJvPCTGa2zjeqjZ1iQGhNMBMNy8OJz4cDwS8fuSHXuHmsJC
g7aKhzznsMrY/OSiOB7N3Y0rLZy/EJw0JVTpoFbTBZ/Sr8mUvq20kqnsEG1eRMzO
Zi/3AWbdHDSuQ8XZUFI6bmG+cgcNYbRza1V+Kkat7r+ER4GCyr9WyaFREVGppyIt
/Q0InFNEGsCkic842JQk45x7eZo5maiR2tjILnNOtKnZWHY0JZNWb6IxnkeYzPIo
HQIDAQAB
-----END PUBLIC KEY-----
`;
