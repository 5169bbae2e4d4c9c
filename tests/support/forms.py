# ruff: noqa: E501 - the form's lines are kept as its text layer gives them
"""Text of a real fill-in form, for the tests of form items and of answers quoted from them."""

STATEMENT = """Date payment
or transfer was
made
18. Within 2 years before you filed for bankruptcy, did you sell, trade, or otherwise transfer any property to anyone, other than property
transferred in the ordinary course of your business or financial affairs?
Include both outright transfers and transfers made as security (such as the granting of a security interest or mortgage on your property).
\u0086 No
\u0084 Yes. Fill in the details.
Person Who Received Transfer
Address
Daniel Pech
1348 SW Hensley Road
Portland, OR 97213
Sold 1972 Corvette for
$18,000
12/2015
19. Within 10 years before you filed for bankruptcy, did you transfer any property to a self-settled trust or similar device of which you are a
beneficiary? (These are often called asset-protection devices.)
\u0084 No
\u0086 Yes. Fill in the details.
Name of trust Description and value of the property transferred Date Transfer was
made
Part 8: List of Certain Financial Accounts, Instruments, Safe Deposit Boxes, and Storage Units
20. Within 1 year before you filed for bankruptcy, were any financial accounts or instruments held in your name closed?
Official Form 107 Statement of Financial Affairs for Individuals Filing for Bankruptcy page 5
"""
"""Part of the Statement of Financial Affairs (Official Form 107, page 5) in a real bankruptcy petition, Bankr. D.
Or. No. 16-30677, as its text layer gives it (checkboxes are the glyphs \\x84 ticked and \\x86 blank)."""
