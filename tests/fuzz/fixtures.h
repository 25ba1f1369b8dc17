/* Made by tests/fuzz/make_fixtures.py: a JWKS with one RSA key whose private
 * half was thrown away, and the only tokens it will ever sign. */
#ifndef COGNITO_FUZZ_FIXTURES_H
#define COGNITO_FUZZ_FIXTURES_H

#define FUZZ_REGION "us-east-1"
#define FUZZ_POOL_ID "us-east-1_MockPool1"
#define FUZZ_CLIENT_ID "mockclient0123456789abcdef"
#define FUZZ_ISSUER "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_MockPool1"
#define FUZZ_KID "/N/LTUThKJ/2XLjIMT5bPlPrsxazRdiW9JzQNEb0ge8="
#define FUZZ_JWKS                                                                                  \
    "{\"keys\":[{\"alg\":\"RS256\",\"e\":\"AQAB\",\"kid\":\"/N/LTUThKJ/2XLjIMT5bPlPrsxazRd"        \
    "iW9JzQNEb0ge8=\",\"kty\":\"RSA\",\"n\":\"k8yg55WHBhinZ-gjaVYmJzupjR81wbE4A0kBvPE"             \
    "QzfWdqrI7WIzQpGD8A9PM68cLkvhjzUX74feFdeYcDMfklHGfwlVksH4z_Od75iridSqMjjq"                     \
    "24xZ5uzPBUKt_Ku9IiwkkzqXn_M3VgsAmDhpyt-RoZE5WSXVUuuaWKQXd4lhHs-uSC03edow"                     \
    "L-doTYbmB1dXdPt5Sz97d8GFyNMXynIZmfpXaR7ZpurX8a_uwtgXSZBjTi18Qwk85ktxtrU6"                     \
    "YqDtLzFqMhBx_jEehtCe5QTZ5Bm70dwnqQYdfO29bzC8hpL39-Zxpq4DyD_DwirUq_pGsPrM"                     \
    "CIb06ai06Vgzw5w\",\"use\":\"sig\"}]}"
#define FUZZ_ID_TOKEN                                                                              \
    "eyJraWQiOiIvTi9MVFVUaEtKLzJYTGpJTVQ1YlBsUHJzeGF6UmRpVzlKelFORWIwZ2U4PSIs"                     \
    "ImFsZyI6IlJTMjU2In0.eyJzdWIiOiIwZjFlMmQzYy00YjVhLTY5NzgtODc5Ni1hNWI0YzNk"                     \
    "MmUxZjAiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3Mu"                     \
    "Y29tL3VzLWVhc3QtMV9Nb2NrUG9vbDEiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0"                     \
    "NDgwMCwiYXV0aF90aW1lIjoxNzAwMDAwMDAwLCJvcmlnaW5fanRpIjoiZjBlMWQyYzMiLCJl"                     \
    "dmVudF9pZCI6ImUxZDJjM2I0IiwianRpIjoiYTFiMmMzZDQiLCJjb2duaXRvOmdyb3VwcyI6"                     \
    "WyJhZG1pbnMiXSwiZW1haWxfdmVyaWZpZWQiOnRydWUsImNvZ25pdG86dXNlcm5hbWUiOiJh"                     \
    "bGljZSIsImF1ZCI6Im1vY2tjbGllbnQwMTIzNDU2Nzg5YWJjZGVmIiwidG9rZW5fdXNlIjoi"                     \
    "aWQiLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIn0.GDDn6AYP9t-xx-O6vsH04yNB2Dfu"                     \
    "7p34qQKjq0w0pgGkNSmdAPckoD-EyFfFQQ3WolTier_Sv-YzL2OQ4SfJJkWvwWXIivjmdX7D"                     \
    "exsEPHzaxPnj5tyHwNg0CzelCCLXz-tEX2Dhtw4s57oIINkf0uKcbJt9xpR3Hxpj_EUzQM6b"                     \
    "TBfk8_HIY2kZq_xLm9fW4X5JhIUpkeXb_GjYqHY8vQsNcXnn05poep_4YtisS5x-EIU-gOtM"                     \
    "9dXlrZCzQ_sqdEaUpNkE_XbRXFlKhxLt7r7xNd1AqpaAUczlHoiMcaxcDsd7olqgZq7ooig9"                     \
    "vHUnq1mwBApXArjAEs6J1ZHNXA"
#define FUZZ_ACCESS_TOKEN                                                                          \
    "eyJraWQiOiIvTi9MVFVUaEtKLzJYTGpJTVQ1YlBsUHJzeGF6UmRpVzlKelFORWIwZ2U4PSIs"                     \
    "ImFsZyI6IlJTMjU2In0.eyJzdWIiOiIwZjFlMmQzYy00YjVhLTY5NzgtODc5Ni1hNWI0YzNk"                     \
    "MmUxZjAiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3Mu"                     \
    "Y29tL3VzLWVhc3QtMV9Nb2NrUG9vbDEiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0"                     \
    "NDgwMCwiYXV0aF90aW1lIjoxNzAwMDAwMDAwLCJvcmlnaW5fanRpIjoiZjBlMWQyYzMiLCJl"                     \
    "dmVudF9pZCI6ImUxZDJjM2I0IiwianRpIjoiYTFiMmMzZDQiLCJjbGllbnRfaWQiOiJtb2Nr"                     \
    "Y2xpZW50MDEyMzQ1Njc4OWFiY2RlZiIsInRva2VuX3VzZSI6ImFjY2VzcyIsInNjb3BlIjoi"                     \
    "YXdzLmNvZ25pdG8uc2lnbmluLnVzZXIuYWRtaW4iLCJ1c2VybmFtZSI6ImFsaWNlIn0.Dz5e"                     \
    "i1amMZHsbPuKGcel2avVP8IbXHlRecJm_OIa9QNvkot1xH_9EJz1lH_wPdjERHDn2_tFzY6C"                     \
    "38-rNWaIsnp_WszAJpC85DgN6CPJQZi5GOSQSPvntLl_fAtMQiukb2qz6cjmruXTQ4nCDV_N"                     \
    "EfAIpNI2YHj8HAfza_tKY_Sgye9fpiUU55v2QfiJCMFZqhWtRjnsfz-8iKVwQ1htVzqOopqE"                     \
    "PcK3aleBuUS9xGcI6ctCE-vlnKEfyN1E5gmvyT6RwMdQuVZAbqHpOSjmcjPwS35g3vp9FwIf"                     \
    "66Fgyt5I9xlBtT-P21VQAQbFgXPu98ibCstKwLEXaGlW8jOMhQ"
/* fuzz_jwt's clock: inside both tokens' lifetime. */
#define FUZZ_NOW 1700000100

#endif
