"""Texts for embedder tests: legal passages of many kinds (and a few everyday ones), queries that each ask about
one passage, and an input longer than the model reads."""

from __future__ import annotations

import numpy as np

DIMENSION = 384
MAX_TOKENS = 256

# Varied passages: contract clauses of many kinds, plus statutes, procedure, a few everyday sentences.
PASSAGES = [
    "The Receiving Party shall hold all Confidential Information in strict confidence and shall not disclose it "
    "to any third party without the prior written consent of the Disclosing Party.",
    "Confidential Information does not include information that is or becomes publicly available through no "
    "fault of the Receiving Party.",
    "This Agreement shall be governed by and construed in accordance with the laws of the State of Delaware, "
    "without regard to its conflict of laws principles.",
    "Either party may terminate this Agreement upon thirty (30) days' written notice if the other party "
    "materially breaches it and fails to cure the breach within that period.",
    "The Licensee shall pay the Licensor a royalty of five percent (5%) of Net Sales of Licensed Products in "
    "each calendar quarter, within forty-five days after the quarter ends.",
    "Nothing in this Agreement grants either party any right or licence under any patent, copyright or trade "
    "secret of the other party, except as expressly stated.",
    "Upon termination, the Receiving Party shall promptly return or destroy all documents containing "
    "Confidential Information and certify the destruction in writing.",
    "The obligations of confidentiality survive for five (5) years after the date of disclosure.",
    "Any dispute arising out of or relating to this Agreement shall be finally settled by arbitration "
    "administered by the American Arbitration Association under its Commercial Rules.",
    "The Supplier shall indemnify, defend and hold harmless the Customer from all losses, damages and costs "
    "arising from third-party claims that the Products infringe intellectual property rights.",
    "In no event shall either party be liable for indirect, incidental, special or consequential damages, "
    "including lost profits, even if advised of their possibility.",
    "Neither party shall be liable for any delay or failure to perform caused by events beyond its reasonable "
    "control, including fire, flood, war, epidemic or acts of government.",
    "Neither party may assign this Agreement without the other party's prior written consent, except to a "
    "successor in a merger or sale of substantially all of its assets.",
    "All notices under this Agreement shall be in writing and delivered by hand, by courier, or by registered "
    "mail to the addresses set out above.",
    "For twelve months after the end of employment, the Employee shall not solicit any customer of the Company "
    "with whom the Employee had material contact.",
    "The Processor shall process Personal Data only on documented instructions from the Controller and shall "
    "notify the Controller of a personal data breach without undue delay.",
    "The Contractor shall maintain commercial general liability insurance with limits of not less than two "
    "million dollars per occurrence.",
    "The Customer may, once per calendar year and on thirty days' notice, audit the Supplier's books and "
    "records relating to the fees charged.",
    "The Seller warrants that the goods will be free from defects in materials and workmanship for a period of "
    "twelve months from delivery.",
    "EXCEPT AS EXPRESSLY PROVIDED, THE SOFTWARE IS PROVIDED 'AS IS' WITHOUT WARRANTY OF ANY KIND, EXPRESS OR "
    "IMPLIED, INCLUDING MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE.",
    "If any provision of this Agreement is held invalid or unenforceable, the remaining provisions shall remain "
    "in full force and effect.",
    "This Agreement constitutes the entire agreement between the parties and supersedes all prior "
    "negotiations, representations and understandings.",
    "No amendment to this Agreement is effective unless it is in writing and signed by authorised "
    "representatives of both parties.",
    "The failure of either party to enforce any right shall not be deemed a waiver of that right.",
    "This Agreement may be executed in counterparts, each of which is deemed an original, and electronic "
    "signatures are binding.",
    "Invoices are payable within thirty days of receipt; late payments bear interest at one percent per month.",
    "The Landlord shall keep the structure, roof and common areas of the Building in good repair.",
    "The Tenant shall pay monthly rent of four thousand euros in advance on the first day of each month.",
    "The security deposit will be returned to the Tenant within sixty days after the lease ends, less any "
    "deductions for damage beyond normal wear and tear.",
    "The Employee is entitled to twenty-five working days of paid annual leave in addition to public holidays.",
    "Either party may end the employment by giving the other three months' notice in writing.",
    "The Company owns all inventions, works of authorship and developments that the Employee creates in the "
    "course of employment.",
    "The Purchaser shall pay the Purchase Price at Closing by wire transfer of immediately available funds.",
    "The obligations of the Buyer to close are conditional on the accuracy of the Seller's representations "
    "and the absence of any material adverse effect.",
    "The Borrower shall repay the principal amount of the Loan in twelve equal quarterly instalments.",
    "An Event of Default occurs if the Borrower fails to pay any amount when due and the failure continues for "
    "five Business Days.",
    "Service availability shall be at least 99.9% in each calendar month; for each shortfall the Customer "
    "receives service credits.",
    "Section 230 of the Communications Decency Act protects online platforms from liability for content "
    "posted by their users.",
    "A plaintiff must file a personal injury claim within two years of the date of the injury, or the claim is "
    "barred by the statute of limitations.",
    "The court granted summary judgment because no genuine dispute of material fact remained for trial.",
    "The appellate court reviews questions of law de novo and findings of fact for clear error.",
    "A contract requires offer, acceptance, consideration and the intention to create legal relations.",
    "Under the Statute of Frauds, a contract for the sale of land must be in writing to be enforceable.",
    "The witness was cross-examined about inconsistencies between her deposition and her testimony at trial.",
    "The defendant was sentenced to three years of probation and ordered to pay restitution to the victims.",
    "The recipe calls for two cups of flour, a teaspoon of salt and three eggs beaten until fluffy.",
    "The train to Munich leaves platform nine at a quarter past seven in the morning.",
    "Regular exercise and a balanced diet lower the risk of heart disease.",
    "The telescope captured images of a distant galaxy whose light left it billions of years ago.",
    "Our quarterly revenue grew by twelve percent, driven mainly by subscriptions in Europe.",
]

# (query, index of the passage it asks about)
QUERIES = [
    ("Which jurisdiction's laws govern this agreement?", 2),
    ("How much royalty does the licensee owe on sales?", 4),
    ("What happens to confidential documents when the agreement ends?", 6),
    ("Is a party responsible for delays caused by floods or war?", 11),
    ("Can the agreement be transferred to another company?", 12),
    ("How long is the employee barred from soliciting customers?", 14),
    ("What must a data processor do after a data breach?", 15),
    ("When is the tenant's security deposit returned?", 28),
    ("How many vacation days does the employee get?", 29),
    ("What is the deadline to sue for a personal injury?", 38),
]

LONG_PREFIX = " ".join(PASSAGES[:20])  # over twice the 256-token limit


def cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two matrices of unit rows."""
    return np.asarray((left * right).sum(axis=1))
