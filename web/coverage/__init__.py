"""Coverage: who the van does not reach (issue 16). Fixed places of digital help (France
Services, the operator's own médiathèques and EPN), coverage and need per commune, what each
visit achieved and the season report."""
