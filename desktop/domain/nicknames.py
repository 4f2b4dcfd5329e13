"""Given names that may stand for the same person: nicknames and common spelling variants.

Plain data, so the frozen build needs no resource file. Each line is one group, formal name
first. A name may sit in several groups ("chris" is Christopher and Christine); two names
are interchangeable when they share a group. Boy/girl pairs (Paul/Paula, Joseph/Josephine,
Francis/Frances) are deliberately kept in separate groups: a household often has both.
"""

from __future__ import annotations

_GROUPS = """
abigail abby abbie gail
albert al bert bertie
alan allan allen al
alexander alex al alec sandy xander
alexandra alex alexa sandra sandy lexi
alfred al fred freddie alfie
andrew andy drew
angela angie
anne ann anna annie nan nancy
annemarie anne-marie annmarie
anthony tony antonio
antonia toni
arthur art artie
barbara barb barbie babs
benjamin ben benny benji
bradley brad
brian bryan brien
carol carole carrie
caroline carolyn carrie carly
catherine katherine kathryn katharine cathy kathy kate katie kat cat kitty
charles charlie chuck chas chaz carlos
christina christine kristina kristine tina chris chrissy kris
christopher chris kris topher cristobal
cynthia cindy cyndi
daniel dan danny
danielle dani
david dave davey davy
deborah debra debbie deb debby
dennis denny
dolores lola
donald don donnie
dorothy dot dottie dolly
douglas doug
edward ed eddie ted teddy ned
edwin ed eddie
elizabeth liz lizzie beth betty betsy eliza libby liza bess elisa
eric erik
eugene gene
frances fran frannie
francis frank frankie fran
francisco frank paco pancho
frederick fred freddie fritz
gabriel gabe
geoffrey jeffrey jeff geoff
gerald gerry jerry
gregory greg
guadalupe lupe
harold harry hal
henry hank harry hal
herbert herb bert
isabel isabella izzy bella
jacob jake
jacqueline jackie jacquie
james jim jimmy jamie jim-bob
jeffrey jeff
jennifer jenny jen jenn
jessica jess jessie
john jon johnny jack jonathan
jonathan jon john jonny
jose pepe
joseph joe joey jos
josephine jo josie
joshua josh
judith judy
katelyn kaitlyn caitlin katie
kathleen kathy katie kathie kate
kenneth ken kenny
kimberly kim kimmy
lakeisha lakisha
lawrence laurence larry
leonard leo len lenny
louis lou louie luis
luis lou lucho
margaret maggie peggy meg marge margie greta peg
maria marie
mark marc
martin marty
mary molly polly mae mamie
matthew matt matty
megan meg meghan
melissa missy mel
michael mike mikey mick mickey micheal
mitchell mitch
nathan nate nat
nathaniel nate nat nathan
nicholas nick nicky nico
nicole nikki nicky
pamela pam
patricia pat patty patti trish tricia
patrick pat paddy patty
peter pete
philip phillip phil
rebecca becky becca
richard rick ricky rich richie dick
robert rob robbie bob bobby bert
roberto beto
ronald ron ronnie
russell russ
samantha sam sammy
samuel sam sammy
sarah sara sally sadie
stephen steven steve stevie
stephanie steph stephie
susan sue susie suzy suzanne
terrence terence terry
teresa theresa terry terri tess tessa
theodore ted teddy theo
thomas tom tommy
timothy tim timmy
victor vic
victoria vicky vickie tori
vincent vince vinny
walter walt wally
william bill billy will willy liam
zachary zach zack
manuel manny
raymond ray
ramon mon
rafael rafa
eduardo lalo
ignacio nacho
jesus chuy
guillermo memo
alberto beto
""".strip().splitlines()


# Real given names in no group above: a one-letter difference between two known names
# (John/Joan, Mark/Mary, Dana/Diana) is two people, not a typo.
_KNOWN = """
aaron adam adrian adriana aidan aisha alice alicia alison allison amanda amber amy andre
andrea angel anita april ashley audrey austin bao barry beatrice bernard beverly blake
bonnie brandon brenda brent brett brittany brooke bruce bryce caleb calvin cameron carl
carla carmen casey cecilia chad chelsea cheryl chloe claire clara clarence claude clifford
cody colin connie craig crystal curtis dale dana darlene darren dawn dean dena denise derek
derrick diana diane dina dolores donna doris duane dustin dylan earl edith eileen elaine
ellen emily emma erica erin ernest esther ethel ethan eva evan evelyn faith felicia floyd
gail gale gary gavin gemma gina glen glenn gloria gordon grace grant hannah heather heidi
helen holly howard ian irene ivan jamal jane janet janice jasmine jason jean jeanne joan
joanne joel jordan joy joyce juan juanita julia julian julie june justin karen karin karl
keith kelly kelsey kendra kent kevin kristen kyle lance laura lauren leah lee leon leslie
lillian lily lina lindsay lisa lloyd lois lorraine lucas lucy luisa lydia lynn mabel
madison marcia marcus mario marion marla marlo marsha martina marvin maureen max maxine
melanie melvin mia miguel mildred miriam monica morgan myra myron nadia nina nila noah
noel norma norman oliver olivia oscar paige paul paula pauline pearl penny perry phyllis
rachel ralph randall randy regina renee rhonda rita robin rodney roger roland rose roy ruby
ruth ryan sabrina sandra scott sean selena seth shane shannon sharon shawn sheila shelby
shirley sidney sonia stacy stanley stella stuart sylvia tanya tara tasha todd tonya tracy
travis trent troy tyler valerie vanessa vera vernon veronica wade wanda warren wayne wendy
wesley whitney yolanda yvonne
""".split()


def _build() -> tuple[dict[str, frozenset[int]], dict[str, frozenset[str]]]:
    table: dict[str, set[int]] = {}
    for number, line in enumerate(_GROUPS):
        for name in line.split():
            table.setdefault(name.replace("-", ""), set()).add(number)
    groups_of = {name: frozenset(numbers) for name, numbers in table.items()}
    initials = {name: frozenset(_GROUPS[n].split()[0][0] for n in numbers)
                for name, numbers in groups_of.items()}
    return groups_of, initials


_GROUPS_OF, _FORMAL_INITIALS = _build()
_KNOWN_SET = frozenset(_KNOWN) | frozenset(_GROUPS_OF)
_NONE: frozenset = frozenset()


def known(name: str) -> bool:
    """True for a given name we recognise (so it is not taken for a typo of another)."""
    return name in _KNOWN_SET


def groups(name: str) -> frozenset[int]:
    """The groups a lower-case given name belongs to (empty when it is in none)."""
    return _GROUPS_OF.get(name, _NONE)


def formal_initials(name: str) -> frozenset[str]:
    """First letters of the formal names `name` may stand for ("bob" -> {"r"})."""
    return _FORMAL_INITIALS.get(name, _NONE)


def interchangeable(a: str, b: str) -> bool:
    """True when `a` and `b` (lower case) may be the same given name."""
    return a == b or bool(groups(a) & groups(b))
